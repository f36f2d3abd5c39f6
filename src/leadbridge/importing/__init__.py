"""List import: read CSV/TSV/XLSX, map columns to fields, write through the one door, account for every row."""

from leadbridge.importing.importer import run_import
from leadbridge.importing.options import ImportOptions, ImportReport
from leadbridge.importing.mapping import Mapping, suggest_mapping

__all__ = ["ImportOptions", "ImportReport", "run_import", "Mapping", "suggest_mapping"]
