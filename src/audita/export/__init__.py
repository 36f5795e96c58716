"""Court-ready evidence packages that a third party can verify without Audita."""
