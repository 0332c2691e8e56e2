"""Building blocks of the spreadsheet import and export (see
``aftersales.datasets.spreadsheets``)."""
