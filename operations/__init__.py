"""Operator tools: the live workers (`crm run`: `live_workers`, the stand-in ERP
`erp_worker`), the live daemon (`simulate`), `crm demo`, the live figures of a running CRM
(`live_figures`) and dead letters (`dead_letters`: list, re-drive).
"""
