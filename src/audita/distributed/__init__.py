"""Scale-out: the speech stages as Ray tasks on one machine or a cluster (docs/deployment.md).

Ray is optional (``pip install 'audita[ray]'``); importing this package does not import it.
"""

from audita.distributed.driver import RayOptions, RayUnavailable, process_items, ray_session
from audita.distributed.factories import EngineFactory, ResemblyzerFactory, SpeakerFactory, WhisperEngineFactory

__all__ = [
    "EngineFactory",
    "RayOptions",
    "RayUnavailable",
    "ResemblyzerFactory",
    "SpeakerFactory",
    "WhisperEngineFactory",
    "process_items",
    "ray_session",
]
