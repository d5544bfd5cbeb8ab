"""Fixed test data: products, test meters and training vouchers (listed in docs/sandbox.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GROUP_1VOUCHER = "1Voucher"
GROUP_GIFT = "Gift Voucher"
GROUP_CASH_OUT = "Cash Out PIN"
GROUP_CELLULAR = "Cellular"
GROUP_EEZI = "Eezi Voucher"
GROUP_UTILITY = "Prepaid Utilities"


@dataclass(frozen=True)
class Product:
    code: int
    name: str
    group: str
    vendor: str
    supplier: str
    minimum: int  # cents
    maximum: int  # cents
    product_type: int
    redemption: str
    terms: str
    barcode: str = ""
    biller_code: str = ""
    call_centre: str = ""
    recharge_type: str = ""
    #: rev 3.0: whether a sale of it may be reversed (1Voucher, Cash Out PIN, Eezi: yes).
    allow_reversal: bool = False

    @property
    def fixed(self) -> bool:
        return self.minimum == self.maximum

    def list_entry(self, *, reversals: bool = True) -> dict[str, Any]:
        """Product list item (section 3.1.1 + rev3 sample fields); ``reversals=False`` (the April
        2023 document, which has none) leaves ``allowReversal`` out."""
        entry = {
            "productCode": self.code,
            "productName": self.name,
            "minimumAmount": self.minimum,
            "maximumAmount": self.maximum,
            "status": "Active",
            "supplierName": self.supplier,
            "vendor": self.vendor,
            "productGroup": self.group,
            "barcode": self.barcode,
            "billerCode": self.biller_code,
            "productType": self.product_type,
            "allowReversal": self.allow_reversal,
            "fixedAmount": self.fixed,
            "content": {
                "redemptionInstructions": self.redemption,
                "termsAndConditions": self.terms,
            },
        }
        if not reversals:
            del entry["allowReversal"]
        return entry

    def lookup_entry(self) -> dict[str, Any]:
        """Product lookup body (section 3.1.2); ``status`` is an integer there: 1 = active."""
        return {
            "id": self.code,
            "productCode": self.code,
            "productName": self.name,
            "minimumAmount": self.minimum,
            "maximumAmount": self.maximum,
            "status": 1,
            "supplierName": self.supplier,
            "supplierCode": 9000 + self.code,
            "vendorName": self.vendor,
            "vendorCode": 8000 + self.code,
            "productType": self.product_type,
            "productUPC": self.barcode,
            "redemptionInstructions": self.redemption,
            "termsAndConditions": self.terms,
            "productParameters": {"productGroup": self.group},
            "created": "2023-04-01T08:00:00.000Z",
            "updated": "2023-04-01T08:00:00.000Z",
        }


_T_AND_C = "Flash sandbox: training data only, no real value."

PRODUCTS: tuple[Product, ...] = (
    Product(
        100, "1Voucher", GROUP_1VOUCHER, "1Voucher", "Flash", 500, 500_000, 1,
        "Redeem at any 1Voucher merchant or online with the 16-digit PIN.", _T_AND_C,
        allow_reversal=True,
    ),
    Product(
        200, "Takealot Gift Voucher", GROUP_GIFT, "Takealot", "Flash", 5_000, 500_000, 2,
        "Enter the code at checkout on takealot.com.", _T_AND_C, barcode="6009000000200",
    ),
    Product(
        201, "Steam Gift Voucher", GROUP_GIFT, "Steam", "Flash", 5_000, 200_000, 2,
        "Redeem in the Steam client under Games > Redeem a Steam Wallet Code.", _T_AND_C,
        barcode="6009000000201",
    ),
    Product(
        202, "Uber Gift Voucher", GROUP_GIFT, "Uber", "Flash", 2_500, 100_000, 2,
        "Add the code in the Uber app under Wallet > Add Gift Card.", _T_AND_C,
        barcode="6009000000202",
    ),
    Product(
        203, "Netflix R100 Gift Voucher", GROUP_GIFT, "Netflix", "Flash", 10_000, 10_000, 2,
        "Redeem at netflix.com/redeem.", _T_AND_C, barcode="6009000000203",
    ),
    Product(
        300, "Cash Out PIN", GROUP_CASH_OUT, "Flash", "Flash", 2_000, 50_000, 3,
        "Withdraw cash at a participating store with the PIN and serial number.", _T_AND_C,
        allow_reversal=True,
    ),
    Product(
        400, "Vodacom Pinless Airtime", GROUP_CELLULAR, "Vodacom", "Vodacom", 500, 100_000, 4,
        "Airtime is loaded directly onto the phone.", _T_AND_C,
        call_centre="082111", recharge_type="Airtime",
    ),
    Product(
        401, "MTN Pinless Airtime", GROUP_CELLULAR, "MTN", "MTN", 500, 100_000, 4,
        "Airtime is loaded directly onto the phone.", _T_AND_C,
        call_centre="0831808", recharge_type="Airtime",
    ),
    Product(
        402, "Cell C Pinless Airtime", GROUP_CELLULAR, "Cell C", "Cell C", 500, 100_000, 4,
        "Airtime is loaded directly onto the phone.", _T_AND_C,
        call_centre="0840140", recharge_type="Airtime",
    ),
    Product(
        403, "Telkom Pinless Airtime", GROUP_CELLULAR, "Telkom", "Telkom", 500, 100_000, 4,
        "Airtime is loaded directly onto the phone.", _T_AND_C,
        call_centre="081180", recharge_type="Airtime",
    ),
    Product(
        500, "Eezi Airtime", GROUP_EEZI, "Flash", "Flash", 500, 100_000, 5,
        "Dial *130*PIN# on any network to load the airtime.", _T_AND_C,
        allow_reversal=True,
    ),
    Product(
        600, "Prepaid Electricity", GROUP_UTILITY, "City Power", "Flash", 1_000, 500_000, 6,
        "Enter the 20-digit token on the meter keypad.", _T_AND_C,
    ),
    Product(
        601, "Prepaid Water", GROUP_UTILITY, "Johannesburg Water", "Flash", 1_000, 300_000, 6,
        "Enter the 20-digit token on the water meter keypad.", _T_AND_C,
    ),
)  # fmt: skip

PRODUCTS_BY_CODE: dict[int, Product] = {p.code: p for p in PRODUCTS}
ONE_VOUCHER = PRODUCTS_BY_CODE[100]
CASH_OUT = PRODUCTS_BY_CODE[300]
EEZI = PRODUCTS_BY_CODE[500]
ELECTRICITY = PRODUCTS_BY_CODE[600]
WATER = PRODUCTS_BY_CODE[601]


@dataclass(frozen=True)
class Meter:
    number: str
    utility: str  # "electricity" or "water"
    customer_name: str
    customer_address: str
    behaviour: str = "normal"  # normal | key_change | fbe | arrears | blocked | unregistered
    arrears: int = 0  # cents outstanding at start
    supply_group_code: int = 100
    tariff_index: int = 1
    key_revision: int = 1
    utility_name: str = "City Power Johannesburg"
    utility_address: str = "40 Heronmere Road, Reuven, Johannesburg, 2091"
    call_centre: str = "0860 562 874"
    vat_number: str = "4470101234"

    @property
    def product(self) -> Product:
        return WATER if self.utility == "water" else ELECTRICITY


@dataclass(frozen=True)
class Tariff:
    name: str
    cost_per_unit: int  # cents per unit, VAT exclusive
    unit_type: str
    unit_description: str


TARIFFS: dict[str, Tariff] = {
    "electricity": Tariff("Domestic Prepaid", 250, "kWh", "Kilowatt hours"),
    "water": Tariff("Domestic Water Prepaid", 3_000, "kL", "Kilolitres"),
}
VAT_PERCENT = 15
FBE_UNITS = 50  # kWh per free basic electricity issue
ARREARS_RECOVERY_PERCENT = 25  # share of each vend taken towards arrears

MAGIC_METER_PREFIX = "9999"  # "9999" + 4-digit code answers that code
MAGIC_PIN_PREFIX = "999999999999"  # 1Voucher redeem: "999999999999" + 4-digit code
MAGIC_MOBILE_PREFIX = "2799900"  # pinless: "2799900" + 4-digit code


METERS: dict[str, Meter] = {
    m.number: m
    for m in (
        Meter("04040404040", "electricity", "Thabo Mokoena", "12 Vilakazi St, Orlando West"),
        Meter(
            "04141414141", "electricity", "Naledi Khumalo", "7 Jacaranda Ave, Kagiso",
            behaviour="key_change", supply_group_code=100, tariff_index=1, key_revision=1,
        ),
        Meter(
            "04242424242", "electricity", "Sipho Dlamini", "88 Mandela St, Alexandra",
            behaviour="fbe",
        ),
        Meter(
            "04343434343", "electricity", "Johan van Wyk", "3 Kerk St, Brakpan",
            behaviour="arrears", arrears=15_000,
        ),
        Meter(
            "04444444444", "electricity", "Blocked Customer", "1 Nowhere Rd, Benoni",
            behaviour="blocked",
        ),
        Meter(
            "04545454545", "electricity", "Unregistered Customer", "2 Nowhere Rd, Benoni",
            behaviour="unregistered",
        ),
        Meter(
            "07070707070", "water", "Lerato Molefe", "19 Dube St, Tembisa",
            supply_group_code=200, utility_name="Johannesburg Water",
            utility_address="1 Perth Road, Westdene, Johannesburg, 2092",
            call_centre="0860 562 874", vat_number="4470207777",
        ),
    )
}  # fmt: skip

#: New key data a key-change meter moves to.
KEY_CHANGE_TO: dict[str, int] = {"supplyGroupCode": 101, "tariffIndex": 2, "keyRevisionNumber": 2}


@dataclass(frozen=True)
class SeedVoucher:
    pin: str
    serial: str
    amount: int
    status: str  # Active | Redeemed | Cancelled | Expired


SEED_VOUCHERS: tuple[SeedVoucher, ...] = (
    SeedVoucher("1111111111111111", "100000000001", 10_000, "Active"),
    SeedVoucher("1212121212121212", "100000000002", 25_000, "Active"),
    SeedVoucher("5000500050005000", "100000000003", 50_000, "Active"),
    SeedVoucher("2401240124012401", "100000000004", 10_000, "Redeemed"),
    SeedVoucher("2403240324032403", "100000000005", 10_000, "Cancelled"),
    SeedVoucher("2405240524052405", "100000000006", 10_000, "Expired"),
)
