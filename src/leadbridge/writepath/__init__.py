"""The one door for writes: `WritePipeline` behind `Workspace.write`.

resolve identity → field policies → stages (normalize, validate, rules) → diff
→ row + field history + outbox entry, in one transaction per batch.
"""

from leadbridge.writepath.item import PendingItem, WriteContext, WriteStage
from leadbridge.writepath.pipeline import WritePipeline

__all__ = ["PendingItem", "WriteContext", "WriteStage", "WritePipeline"]
