"""Where an installation keeps its data, and who is acting."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    """AUDITA_HOME, else $XDG_DATA_HOME/audita, else ~/.local/share/audita."""
    explicit = os.environ.get("AUDITA_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "audita"


def default_actor() -> str:
    explicit = os.environ.get("AUDITA_ACTOR")
    if explicit:
        return explicit
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"local:uid{os.getuid()}"


@dataclass(frozen=True)
class Settings:
    """One installation: a home directory holding the blob store, keys and (by default) the database."""

    home: Path
    database_url: str | None = None

    @classmethod
    def from_env(cls, home: Path | None = None) -> "Settings":
        return cls(home=(home or default_home()).resolve(), database_url=os.environ.get("AUDITA_DATABASE_URL"))

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'audita.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.home / "tmp"

    @property
    def key_dir(self) -> Path:
        return self.home / "keys"

    @property
    def model_dir(self) -> Path:
        return self.home / "models"
