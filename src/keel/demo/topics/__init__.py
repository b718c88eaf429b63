"""What the demo incidents are about, by category: who fixes them, where, and what people write."""

from typing import Final

from keel.demo.topics.access import ACCESS
from keel.demo.topics.base import Report, Topic
from keel.demo.topics.database import DATABASE
from keel.demo.topics.hardware import HARDWARE
from keel.demo.topics.network import NETWORK
from keel.demo.topics.software import SOFTWARE

TOPICS: Final[tuple[Topic, ...]] = (*NETWORK, *HARDWARE, *SOFTWARE, *DATABASE, *ACCESS)

__all__ = ["TOPICS", "Report", "Topic"]
