"""cairo6: run and report a multi-centre randomised trial of perioperative systemic therapy
plus CRS-HIPEC versus CRS-HIPEC alone for colorectal peritoneal metastases."""

__version__ = "0.1.0"
