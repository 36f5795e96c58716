"""The web workbench (docs/web.md): `create_app(workspace, options)` builds the FastAPI app that
`audita serve` runs. Accounts, sessions and access rules are plain modules without web imports."""
