"""Building blocks of the spreadsheet import and export (see ``datasets.spreadsheets``)."""
