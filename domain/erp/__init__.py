"""The ERP bridge: sales orders, the integration log, master data from the ERP."""
