"""Export stored studies to the formats radiology and research tools read: NIfTI and DICOM."""

from pipeline.export.run import FORMATS, DicomOptions, ExportSummary, export

__all__ = ["FORMATS", "DicomOptions", "ExportSummary", "export"]
