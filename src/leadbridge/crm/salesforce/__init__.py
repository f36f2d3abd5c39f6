"""Salesforce over its REST, composite, Bulk 2.0 and SOAP login APIs (the real client, real HTTP)."""

from leadbridge.crm.salesforce.connector import SalesforceConnector
from leadbridge.crm.salesforce.session import Credentials, login

__all__ = ["SalesforceConnector", "Credentials", "login"]
