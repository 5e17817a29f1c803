"""The reporter site: landing, report form, receipt, check back and the thread."""
