"""CRM adapters behind one protocol (`Connector`); one folder per CRM."""

from leadbridge.crm.protocol import Capabilities, Connector, CrmRecord, ErrorDetail, SaveResult

__all__ = ["Capabilities", "Connector", "CrmRecord", "ErrorDetail", "SaveResult"]
