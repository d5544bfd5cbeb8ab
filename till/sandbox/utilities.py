"""Prepaid utilities: meter lookup and purchase, in the April 2023 (3.1.14) or the rev 3.0 (3.1.27)
purchase shape (``Sandbox.utility_shape``)."""

from __future__ import annotations

from typing import Any

from . import catalog
from ._codes import MESSAGES, Decline
from .catalog import Meter
from .state import Handler, SandboxState


def _meter(sb: SandboxState, data: dict[str, Any]) -> Meter:
    number = data["meterNumber"]
    prefix = catalog.MAGIC_METER_PREFIX
    if len(number) == 8 and number.startswith(prefix) and number.isdigit():
        code = int(number[len(prefix) :])
        if code in MESSAGES and code:
            raise Decline(code)
    meter = catalog.METERS.get(number)
    if meter is None:
        raise Decline(2304)
    if meter.behaviour == "blocked":
        raise Decline(2311)
    if meter.behaviour == "unregistered":
        raise Decline(2310)
    if data.get("isFBE"):
        if meter.utility != "electricity":
            raise Decline(2309)
        if meter.behaviour != "fbe":
            raise Decline(2306)
        if meter.number in sb.fbe_issued:
            raise Decline(2312)
    else:
        product = meter.product
        if not product.minimum <= data["amount"] <= product.maximum:
            raise Decline(2204)
    return meter


def _billing_info(sb: SandboxState, meter: Meter) -> dict[str, Any]:
    tariff = catalog.TARIFFS[meter.utility]
    arrears = sb.arrears(meter.number)
    return {
        "arrearValue": arrears,
        "arrearDesc": "Municipal arrears" if arrears else "",
        "maximumVendValue": meter.product.maximum,
        "minimumVendValue": meter.product.minimum,
        "tariffName": tariff.name,
    }


def _customer(meter: Meter) -> dict[str, str]:
    return {"address": meter.customer_address, "name": meter.customer_name}


def _utility(meter: Meter) -> dict[str, str]:
    """The municipality or utility behind a meter, as the lookup and the purchase both give it."""
    return {
        "address": meter.utility_address,
        "callCentre": meter.call_centre,
        "name": meter.utility_name,
        "vatNumber": meter.vat_number,
    }


def meter_lookup(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    meter = _meter(sb, data)
    body = sb.base(data, tx_id=str(sb.next_tx()), echo=False)
    body = {
        "responseCode": 0,
        "responseMessage": "Success",
        "accountNumber": body["accountNumber"],
        "reference": body["reference"],
        "amount": data["amount"],
        "transactionDate": body["transactionDate"],
        "transactionId": body["transactionId"],
        "metadata": body["metadata"],
        "billingInfo": _billing_info(sb, meter),
        "meterInfo": {
            "algorithmCode": "07",
            "customerInfo": _customer(meter),
            "keyRevisionNumber": str(meter.key_revision),
            "meterNumber": meter.number,
            "supplyGroupCode": str(meter.supply_group_code),
            "tariffIndex": str(meter.tariff_index),
            "tokenTechnology": "02",
            "utilityInfo": _utility(meter),
        },
        "isFBE": bool(data.get("isFBE")),
    }
    return body


def meter_purchase(sb: SandboxState, kind: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    meter = _meter(sb, data)
    amount = data["amount"]
    fbe = bool(data.get("isFBE"))
    if not fbe:
        sb.check_debit(None, amount)
    tariff = catalog.TARIFFS[meter.utility]
    outstanding = sb.arrears(meter.number)
    debt = min(outstanding, amount * catalog.ARREARS_RECOVERY_PERCENT // 100)
    net = amount - debt
    vat = (net * catalog.VAT_PERCENT * 2 + 115) // 230  # round(net * 15 / 115)
    exclusive = net - vat
    units = catalog.FBE_UNITS * 1.0 if fbe else round(exclusive / tariff.cost_per_unit, 1)
    tokens: list[dict[str, Any]] = []  # neutral form, shaped below
    if meter.behaviour == "key_change" and not fbe:
        for i in (1, 2):
            tokens.append({"kind": "KeyChange", "desc": f"Key Change Token {i} of 2"})
    if fbe:
        tokens.append({"kind": "FBE", "desc": "Free Basic Electricity Token"})
    else:
        label = "Electricity" if meter.utility == "electricity" else "Water"
        tokens.append({"kind": "Credit", "desc": f"{label} Credit Token"})
    for t in tokens:
        t["token"] = sb.digits(20)
        t["serial"] = sb.new_serial()
        sb.secrets.add(t["token"])
    remaining = outstanding - debt
    tx_id = sb.next_tx()
    key_change = meter.behaviour == "key_change" and not fbe
    calc = {
        "meter": meter, "tariff": tariff, "amount": amount, "debt": debt, "net": net,
        "vat": vat, "exclusive": exclusive, "units": units, "tokens": tokens,
        "remaining": remaining, "tx_id": tx_id, "fbe": fbe, "key_change": key_change,
    }  # fmt: skip
    shape = _body_v4 if sb.utility_shape == "v4" else _body_rev3
    body = shape(sb, data, calc)
    if debt:
        sb.meter_arrears[meter.number] = remaining
    if fbe:
        sb.fbe_issued.add(meter.number)
    return sb.commit(
        kind, path, data, body, amount=amount, float_delta=-amount,
        tokens=[t["token"] for t in tokens],
    )  # fmt: skip


def _body_v4(sb: SandboxState, data: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    meter: Meter = c["meter"]
    tariff: catalog.Tariff = c["tariff"]
    body = sb.base(data, tx_id=c["tx_id"])
    body["amount"] = c["amount"]
    billing = _billing_info(sb, meter)
    billing["arrearValue"] = c["remaining"]
    billing["arrearDesc"] = "Municipal arrears" if c["remaining"] else ""
    body["billingInfo"] = billing
    if c["debt"]:
        body["debt"] = {
            "value": c["debt"],
            "description": "Arrears recovered",
            "outstanding": str(c["remaining"]),
            "tariffDescription": "Municipal arrears recovery",
            "tax": 0,
            "taxInvoiceNumber": f"INV{c['tx_id']}",
        }
    body["fixedCost"] = []
    new = catalog.KEY_CHANGE_TO
    if c["key_change"]:
        body["keyChangeTokenData"] = dict(new)
    body["meterInfo"] = {
        "algorithmCode": "07",
        "customerInfo": _customer(meter),
        "keyRevisionNumber": meter.key_revision,
        "meterNumber": meter.number,
        "supplyGroupCode": meter.supply_group_code,
        "tariffIndex": meter.tariff_index,
        "tokenTechnology": "02",
        "utilityInfo": _utility(meter),
    }
    body["tariffBlocks"] = [
        {"amount": c["exclusive"], "costPerUnit": tariff.cost_per_unit, "units": c["units"]}
    ]
    out = []
    for t in c["tokens"]:
        credit = t["kind"] in ("Credit", "FBE")
        out.append(
            {
                "value": c["net"] if credit else 0,
                "tariffDescription": tariff.name if credit else "Key change",
                "tariffName": tariff.name,
                "tax": c["vat"] if credit else 0,
                "token": t["token"],
                "tokenDescription": t["desc"],
                "type": t["kind"],
                "units": {
                    "description": tariff.unit_description,
                    "quantity": c["units"] if credit else 0,
                    "unitType": tariff.unit_type,
                },
            }
        )
    body["tokens"] = out
    return body


def _body_rev3(sb: SandboxState, data: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    meter: Meter = c["meter"]
    tariff: catalog.Tariff = c["tariff"]
    body = sb.base(data, tx_id=c["tx_id"])
    metadata = body.pop("metadata")
    body["amount"] = c["amount"]
    body["metadata"] = metadata
    body["billingInfo"] = {
        "taxAmount": c["vat"],
        "unitType": tariff.unit_type,
        "units": c["units"],
        "freeUnits": c["units"] if c["fbe"] else 0,
        "exclusiveAmount": c["exclusive"],
        "receiptNumber": f"RCPT{c['tx_id']}",
        "transactionNumber": c["tx_id"],
    }
    debt = {"value": c["debt"], "description": "Arrears recovered" if c["debt"] else ""}
    body["charges"] = {"debt": debt, "fixedCost": []}
    new = catalog.KEY_CHANGE_TO
    kc = c["key_change"]
    body["meterinfo"] = {
        "meterNumber": meter.number,
        "keyRevisionNumber": new["keyRevisionNumber"] if kc else meter.key_revision,
        "supplyGroupCode": new["supplyGroupCode"] if kc else meter.supply_group_code,
        "tariffIndex": new["tariffIndex"] if kc else meter.tariff_index,
        "tokenTechnology": "02",
        "algorithmCode": "07",
        "oldSupplyGroupCode": str(meter.supply_group_code) if kc else "",
        "oldTariffIndex": str(meter.tariff_index) if kc else "",
        "oldKeyRevisionNumber": str(meter.key_revision) if kc else "",
        "newSupplyGroupCode": str(new["supplyGroupCode"]) if kc else "",
        "newTariffIndex": str(new["tariffIndex"]) if kc else "",
        "newKeyRevisionNumber": str(new["keyRevisionNumber"]) if kc else "",
        "customerInfo": {"name": meter.customer_name, "address": meter.customer_address},
        "utilityInfo": {
            "address": meter.utility_address,
            "callCentre": meter.call_centre,
            "utilityname": meter.utility_name,
            "vatNumber": meter.vat_number,
        },
        "consumerMessage": "Enter the key change tokens first, in order." if kc else "",
        "tariffName": tariff.name,
    }
    body["tokens"] = [
        {"tokenDescription": t["desc"], "serialNumber": t["serial"], "token": t["token"]}
        for t in c["tokens"]
    ]
    body["tariffBlocks"] = [
        {
            "amount": c["exclusive"],
            "units": c["units"],
            "costPerUnit": tariff.cost_per_unit,
            "tariffName": tariff.name,
        }
    ]
    return body


HANDLERS: dict[str, Handler] = {
    "prepaid-utilities/lookup": meter_lookup,
    "prepaid-utilities/purchase": meter_purchase,
}
