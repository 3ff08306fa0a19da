"""Purchasing, quotes and spend pages (included by inventory/urls.py, namespace "inventory").

Route kinds (first word of the name) for THE route matrix: supplyreq (requisitions), approvallimit, po (purchase
orders), vinvoice (vendor invoices), rfq, spend, vendorperf."""

from django.urls import path

from . import views_purchasing as requisitions
from . import views_purchasing_orders as orders
from . import views_purchasing_rfq as rfqs
from . import views_spend as spend

urlpatterns = [
    # Requisitions
    path("requisitions/", requisitions.supplyreq_list, name="supplyreq_list"),
    path("requisitions/approvals/", requisitions.supplyreq_queue, name="supplyreq_queue"),
    path("requisitions/all/", requisitions.supplyreq_all, name="supplyreq_all"),
    path("requisitions/new/", requisitions.supplyreq_create, name="supplyreq_create"),
    path("requisitions/<int:pk>/", requisitions.supplyreq_detail, name="supplyreq_detail"),
    path("requisitions/<int:pk>/submit/", requisitions.supplyreq_submit, name="supplyreq_submit"),
    path("requisitions/<int:pk>/decide/", requisitions.supplyreq_decide, name="supplyreq_decide"),
    path("requisitions/<int:pk>/order/", requisitions.supplyreq_order, name="supplyreq_order"),
    path("approval-limits/", requisitions.approvallimit_list, name="approvallimit_list"),
    path("approval-limits/edit/", requisitions.approvallimit_edit, name="approvallimit_edit"),
    # Purchase orders
    path("orders/", orders.po_list, name="po_list"),
    path("orders/<int:pk>/", orders.po_detail, name="po_detail"),
    path("orders/<int:pk>/pdf/", orders.po_pdf, name="po_pdf"),
    path("orders/<int:pk>/edit/", orders.po_edit, name="po_edit"),
    path("orders/<int:pk>/send/", orders.po_send, name="po_send"),
    path("orders/<int:pk>/receive/", orders.po_receive, name="po_receive"),
    path("orders/<int:pk>/invoice/", orders.po_invoice, name="po_invoice"),
    # Vendor invoices
    path("invoices/", orders.vinvoice_list, name="vinvoice_list"),
    path("invoices/<int:pk>/", orders.vinvoice_detail, name="vinvoice_detail"),
    path("invoices/<int:pk>/accept/", orders.vinvoice_accept, name="vinvoice_accept"),
    path("invoices/<int:pk>/paid/", orders.vinvoice_paid, name="vinvoice_paid"),
    # Requests for quotes
    path("quotes/", rfqs.rfq_list, name="rfq_list"),
    path("quotes/new/", rfqs.rfq_create, name="rfq_create"),
    path("quotes/<int:pk>/", rfqs.rfq_detail, name="rfq_detail"),
    path("quotes/<int:pk>/quote/", rfqs.rfq_quote, name="rfq_quote"),
    path("quotes/<int:pk>/award/", rfqs.rfq_award, name="rfq_award"),
    # Spend and vendor performance
    path("spend/", spend.spend_report, name="spend_report"),
    path("spend/prices/", spend.spend_prices, name="spend_prices"),
    path("spend/savings/", spend.spend_savings, name="spend_savings"),
    path("spend/off-contract/", spend.spend_offcontract, name="spend_offcontract"),
    path("vendor-performance/", spend.vendorperf_report, name="vendorperf_report"),
]
