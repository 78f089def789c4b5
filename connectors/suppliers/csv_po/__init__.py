"""Purchase orders as CSV files for suppliers without an API, and their tracking answer files."""

from connectors.suppliers.csv_po.adapter import CsvPurchaseOrderSupplier
from connectors.suppliers.csv_po.answers import AnswerFile, RowReject, parse_answer_file
from connectors.suppliers.csv_po.folder import PurchaseOrderFolder
from connectors.suppliers.csv_po.render import COLUMNS, render_purchase_order, safe_cell

__all__ = ["COLUMNS", "AnswerFile", "CsvPurchaseOrderSupplier", "PurchaseOrderFolder", "RowReject",
           "parse_answer_file", "render_purchase_order", "safe_cell"]
