"""Export stored studies to the formats radiology and research tools read: NIfTI and DICOM."""

from pipeline.export.run import FORMATS, ExportSummary, export

__all__ = ["FORMATS", "ExportSummary", "export"]
