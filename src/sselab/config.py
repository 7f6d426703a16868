"""Settings read from explicit arguments, then ``SSELAB_*`` environment variables, then defaults.

This is the one place that reads the environment. Example::

    >>> from sselab.config import get_settings
    >>> get_settings().database_url.startswith("sqlite")  # doctest: +SKIP
    True
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(user_data_dir("sselab", appauthor=False))


class Settings(BaseSettings):
    """sselab configuration.

    Attributes
    ----------
    db
        SQLAlchemy URL of the store (``SSELAB_DB``); default a SQLite file in the user data folder.
    data_mirror
        Folder holding local copies of the public datasets (``SSELAB_DATA_MIRROR``), read before any download.
    cache_dir
        Folder where fetched datasets are cached (``SSELAB_CACHE_DIR``).
    offline
        Never download (``SSELAB_OFFLINE=1``).
    llm_base_url, llm_model, llm_api_key
        OpenAI-compatible endpoint for the assistant (``SSELAB_LLM_BASE_URL`` ...).
    threads
        CPU threads for torch-based potentials (``SSELAB_THREADS``); ``None`` leaves torch's default.
    device
        ``"cpu"``, ``"cuda"`` or ``None`` (choose CUDA when present) for potentials (``SSELAB_DEVICE``).
    keep_freed_memory
        Keep freed heap memory in the process while a potential runs (``SSELAB_KEEP_FREED_MEMORY``, default
        on; :mod:`sselab.simulate.heap`): MLIP force calls about twice as fast in Dask workers, same numbers.
    debug
        Print the Python traceback of an unexpected error in the command line (``SSELAB_DEBUG=1``).
    """

    model_config = SettingsConfigDict(env_prefix="SSELAB_", extra="forbid")

    db: str | None = None
    data_mirror: Path | None = None
    cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("sselab", appauthor=False)))
    data_dir: Path = Field(default_factory=_default_data_dir)
    offline: bool = False
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    threads: int | None = None
    device: str | None = None
    keep_freed_memory: bool = True
    debug: bool = False

    @property
    def database_url(self) -> str:
        """The store URL: ``db`` when set, else ``sqlite:///<data_dir>/sselab.sqlite``."""
        if self.db:
            if "://" in self.db:
                return self.db
            return f"sqlite:///{Path(self.db).expanduser().resolve()}"
        return f"sqlite:///{self.data_dir / 'sselab.sqlite'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
