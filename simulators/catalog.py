"""Reference data of the simulated business: geography, industries, territories, products.

A manufacturer of machines, components and industrial systems selling to Indian plants.
One price book: a list price in INR per unit of measure for each item (`list_price`,
revised each 1 April); deal sizes come from quantities, deal terms from line discounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# state, weight (share of industrial demand), cities
STATES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Maharashtra", 18, ("Mumbai", "Pune", "Thane", "Nashik", "Aurangabad", "Nagpur",
                         "Navi Mumbai", "Chakan")),
    ("Tamil Nadu", 14, ("Chennai", "Coimbatore", "Hosur", "Madurai", "Tiruchirappalli")),
    ("Gujarat", 13, ("Ahmedabad", "Vadodara", "Surat", "Rajkot", "Vapi", "Sanand")),
    ("Karnataka", 10, ("Bengaluru", "Mysuru", "Belagavi", "Hubballi", "Tumakuru")),
    ("Haryana", 7, ("Gurugram", "Faridabad", "Manesar", "Panipat", "Bawal")),
    ("Uttar Pradesh", 6, ("Noida", "Ghaziabad", "Kanpur", "Lucknow", "Greater Noida")),
    ("Telangana", 6, ("Hyderabad", "Medak", "Sangareddy")),
    ("Delhi", 4, ("New Delhi", "Okhla", "Narela")),
    ("West Bengal", 4, ("Kolkata", "Durgapur", "Howrah", "Haldia")),
    ("Andhra Pradesh", 3, ("Visakhapatnam", "Sri City", "Vijayawada", "Anantapur")),
    ("Punjab", 3, ("Ludhiana", "Jalandhar", "Mohali")),
    ("Rajasthan", 3, ("Jaipur", "Bhiwadi", "Neemrana", "Udaipur")),
    ("Madhya Pradesh", 3, ("Indore", "Pithampur", "Bhopal", "Mandideep")),
    ("Odisha", 2, ("Bhubaneswar", "Rourkela", "Angul")),
    ("Jharkhand", 2, ("Jamshedpur", "Ranchi", "Bokaro")),
    ("Uttarakhand", 1.5, ("Rudrapur", "Haridwar", "Pantnagar")),
    ("Kerala", 1.5, ("Kochi", "Thiruvananthapuram", "Palakkad")),
    ("Himachal Pradesh", 1, ("Baddi", "Nalagarh")),
    ("Chhattisgarh", 1, ("Raipur", "Bhilai")),
    ("Goa", 0.5, ("Verna", "Margao")),
    ("Assam", 0.5, ("Guwahati",)),
    ("Bihar", 0.5, ("Patna", "Hajipur")),
)

# industry -> (weight, name words for companies of that industry)
INDUSTRIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "Automotive": (18, ("Auto Components", "Autoparts", "Motors", "Axles", "Auto Forge")),
    "Industrial Machinery": (14, ("Machine Tools", "Engineering Works", "Machinery")),
    "Metals": (9, ("Steel", "Alloys", "Metals", "Castings", "Forgings")),
    "Heavy Engineering": (7, ("Heavy Engineering", "Fabricators", "Structurals", "Cranes")),
    "Electronics": (7, ("Electronics", "Electricals", "Controls", "Switchgear")),
    "Pharmaceuticals": (7, ("Pharma", "Lifesciences", "Formulations", "Drugs")),
    "Chemicals": (6, ("Chemicals", "Petrochem", "Specialty Chemicals", "Polymers")),
    "Energy": (6, ("Power", "Energy Systems", "Renewables", "Turbines")),
    "Food & Beverage": (5, ("Foods", "Agro Products", "Beverages", "Dairy")),
    "Aerospace": (2, ("Aerospace", "Aero Systems", "Avionics")),
    "Textiles": (6, ("Textiles", "Spinning Mills", "Fabrics")),
    "Plastics": (5, ("Plastics", "Moulders", "Polyfab")),
    "Construction": (4, ("Infra", "Constructions", "Projects")),
    "Logistics": (2, ("Logistics", "Carriers")),
    "Retail": (2, ("Retail", "Mart")),
}
PLACE_WORDS = ("Deccan", "Sahyadri", "Narmada", "Kaveri", "Ganga", "Himalaya", "Indus",
               "Vindhya", "Konkan", "Malwa", "Coromandel", "Shivalik", "Aravali", "Satpura",
               "Godavari", "Krishna", "Tapti", "Nilgiri", "Bharat", "Hindustan", "Apex",
               "Omega", "Vector", "Precision", "Sterling", "Pinnacle", "Unique", "Supreme")
SUFFIXES = (("Pvt Ltd", 45), ("Ltd", 20), ("Private Limited", 12), ("LLP", 6),
            ("Industries", 10), ("& Co", 4), ("Group", 3))
SIZES = (("startup", 6), ("small", 24), ("medium", 36), ("large", 22), ("enterprise", 12))
EMPLOYEES = {"startup": (10, 50), "small": (50, 200), "medium": (200, 1000),
             "large": (1000, 5000), "enterprise": (5000, 40000)}
REVENUE = {"startup": "< ₹10 Cr", "small": "₹10-50 Cr", "medium": "₹50-250 Cr",
           "large": "₹250-1000 Cr", "enterprise": "> ₹1000 Cr"}
SIZE_DEAL_FACTOR = {"startup": 0.4, "small": 0.6, "medium": 1.0, "large": 1.5,
                    "enterprise": 2.2}

# code, name, countries, states, cities, industries, sizes (see docs/simulation.md)
TERRITORIES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...],
                         tuple[str, ...], tuple[str, ...]], ...] = (
    ("IN-AUTO-N", "Automotive North", (), ("Haryana", "Delhi", "Uttar Pradesh",
     "Uttarakhand", "Punjab", "Rajasthan"), (), ("Automotive",), ()),
    ("IN-AUTO-S", "Automotive South", (), ("Tamil Nadu", "Karnataka", "Telangana",
     "Andhra Pradesh"), (), ("Automotive",), ()),
    ("IN-AUTO-W", "Automotive West", (), ("Maharashtra", "Gujarat", "Madhya Pradesh"), (),
     ("Automotive",), ()),
    ("IN-ENERGY", "Energy & Heavy Engineering", ("India",), (), (),
     ("Energy", "Heavy Engineering"), ()),
    ("IN-KEY", "Key Accounts", ("India",), (), (), (), ("enterprise",)),
    ("IN-PHARMA", "Pharma & Chemicals", (), ("Gujarat", "Maharashtra", "Telangana",
     "Himachal Pradesh", "Andhra Pradesh"), (), ("Pharmaceuticals", "Chemicals"), ()),
    ("N-NCR", "Delhi NCR", (), ("Delhi", "Haryana"), (), (), ()),
    ("N-PB", "Punjab & Himachal", (), ("Punjab", "Himachal Pradesh"), (), (), ()),
    ("N-RJ", "Rajasthan", (), ("Rajasthan",), (), (), ()),
    ("N-UP", "Uttar Pradesh & Uttarakhand", (), ("Uttar Pradesh", "Uttarakhand"), (), (), ()),
    ("E-OD", "Odisha, Jharkhand & Bihar", (), ("Odisha", "Jharkhand", "Bihar"), (), (), ()),
    ("E-WB", "West Bengal & North East", (), ("West Bengal", "Assam"), (), (), ()),
    ("S-KA", "Karnataka", (), ("Karnataka",), (), (), ()),
    ("S-KL", "Kerala", (), ("Kerala",), (), (), ()),
    ("S-TG", "Telangana & Andhra", (), ("Telangana", "Andhra Pradesh"), (), (), ()),
    ("S-TN", "Tamil Nadu", (), ("Tamil Nadu",), (), (), ()),
    ("W-GJ", "Gujarat", (), ("Gujarat",), (), (), ()),
    ("W-MH", "Rest of Maharashtra", (), ("Maharashtra",), (), (), ()),
    ("W-MP", "Central India & Goa", (), ("Madhya Pradesh", "Chhattisgarh", "Goa"), (), (), ()),
    ("W-MUM", "Mumbai Metropolitan", (), ("Maharashtra",), ("Mumbai", "Thane", "Navi Mumbai"),
     (), ()),
)


@dataclass(frozen=True)
class Product:
    """A price-book item: list price in INR per unit of measure (FY 2025-26) and its
    delivery lead time. Configurations that cost very different amounts (a 12- or a
    36-feeder MCC panel) are separate items, as in a real price book."""

    material_id: str
    name: str
    family: str
    uom: str
    price: int
    lead_days: int


def _family(code: str, family: str, uom: str, lead: int,
            items: tuple[tuple[str, int], ...]) -> tuple[Product, ...]:
    return tuple(Product(f"MAT-{code}-{n:03d}", name, family, uom, price, lead)
                 for n, (name, price) in enumerate(items, start=1))


PRODUCTS: tuple[Product, ...] = (
    *_family("CNC", "CNC machining centres", "nos", 75, (
        ("Vertical machining centre VMC-650", 2_250_000),
        ("Vertical machining centre VMC-850", 3_300_000),
        ("Horizontal machining centre HMC-500", 6_900_000),
        ("CNC turning centre TC-250", 1_750_000))),
    *_family("CST", "Precision castings", "kg", 30, (
        ("SG iron housing castings", 245), ("Aluminium pressure die castings", 560),
        ("Steel investment castings", 980))),
    *_family("HYD", "Hydraulic pumps and power packs", "nos", 35, (
        ("Gear pump GP-40", 28_500), ("Hydraulic power pack 15 kW", 365_000),
        ("Hydraulic power pack 55 kW", 940_000))),
    *_family("GBX", "Industrial gearboxes", "nos", 45, (
        ("Helical gearbox HG-180", 145_000), ("Planetary gearbox PG-300", 385_000),
        ("Worm reduction gearbox WR-90", 68_000), ("Planetary gearbox PG-500", 790_000))),
    *_family("PNL", "Electrical control panels", "nos", 40, (
        ("Motor control centre panel, 12 feeders", 640_000),
        ("PLC automation panel, machine", 340_000), ("APFC panel 400 kVAr", 420_000),
        ("Motor control centre panel, 36 feeders", 1_850_000),
        ("PLC automation panel, process line", 1_150_000))),
    *_family("FRG", "Forgings", "pcs", 40, (
        ("Crankshaft forging", 4_800), ("Weld-neck flange 8 inch", 3_400),
        ("Connecting rod forging", 1_450))),
    *_family("ROB", "Robotic automation cells", "nos", 90, (
        ("Robotic MIG welding cell, single robot", 4_300_000),
        ("Robotic palletising cell", 4_250_000),
        ("Robotic MIG welding cell, twin robot", 7_600_000))),
    *_family("CNV", "Conveyor systems", "nos", 60, (
        ("Belt conveyor line 30 m", 1_050_000), ("Overhead chain conveyor 100 m", 2_600_000))),
    *_family("CMP", "Screw air compressors", "nos", 30, (
        ("Screw air compressor 37 kW", 620_000), ("Screw air compressor 110 kW", 1_950_000))),
    *_family("SVC", "Spares and annual maintenance", "nos", 15, (
        ("Annual maintenance contract, per machine", 95_000),
        ("Critical spares kit", 65_000), ("Retrofit and overhaul, per machine", 950_000))),
)
PRICE_REVISION_PCT = 4  # the price book is revised on 1 April (start of the fiscal year)
PRICE_BOOK_YEAR = 2025  # PRODUCTS' prices hold from 1 April 2025


def list_price(product: Product, day: date) -> int:
    """The price-book list price on `day`: one price per item, revised by
    PRICE_REVISION_PCT on 1 April each fiscal year (so within a year every quote of an
    item carries the same list price; discounts are per line)."""
    fiscal_year = day.year if day.month >= 4 else day.year - 1
    factor = (1 + PRICE_REVISION_PCT / 100) ** (fiscal_year - PRICE_BOOK_YEAR)
    step = 100 if product.price >= 10_000 else 1
    return max(step, round(product.price * factor / step) * step)


FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(p.family for p in PRODUCTS))
CHEAPEST: dict[str, int] = {f: min(p.price for p in PRODUCTS if p.family == f)
                            for f in FAMILIES}  # smallest possible order of a family
# which product families each industry tends to buy
INDUSTRY_FAMILIES: dict[str, tuple[str, ...]] = {
    "Automotive": ("CNC machining centres", "Robotic automation cells", "Forgings",
                   "Precision castings", "Conveyor systems"),
    "Industrial Machinery": ("CNC machining centres", "Industrial gearboxes",
                             "Hydraulic pumps and power packs", "Precision castings"),
    "Metals": ("Conveyor systems", "Industrial gearboxes", "Screw air compressors"),
    "Heavy Engineering": ("Industrial gearboxes", "Forgings", "CNC machining centres"),
    "Electronics": ("Electrical control panels", "Robotic automation cells"),
    "Pharmaceuticals": ("Electrical control panels", "Screw air compressors",
                        "Conveyor systems"),
    "Chemicals": ("Electrical control panels", "Screw air compressors",
                  "Hydraulic pumps and power packs"),
    "Energy": ("Electrical control panels", "Industrial gearboxes", "Forgings"),
    "Food & Beverage": ("Conveyor systems", "Screw air compressors",
                        "Electrical control panels"),
    "Aerospace": ("CNC machining centres", "Precision castings"),
}
COMPETITORS = ("Vardhan Machine Tools", "Bharat Precision Systems", "Kalinga Engineering",
               "Western Hydraulics", "Sunrise Automation", "Orion Gears", "Sahyadri Castings",
               "Trident Controls", "Meridian Industrial", "Low-cost imports (China)",
               "Local fabricator", "Global OEM (Germany)")
LEAD_TITLES = ("Plant Head", "Purchase Manager", "Maintenance Manager", "GM - Operations",
               "Director - Projects", "Head of Procurement", "Production Manager",
               "Chief Engineer", "VP Operations", "Managing Director", "Quality Manager")
CONTACT_ROLES = (("decision_maker", 20), ("influencer", 30), ("champion", 12),
                 ("gatekeeper", 10), ("user", 28))
DEPARTMENTS = ("Purchase", "Operations", "Maintenance", "Projects", "Quality", "Finance",
               "Production")
CASE_SUBJECTS = {  # by case category; {p} is a product
    "technical": ("Spindle vibration on {p}", "Controller alarm on {p}",
                  "Pressure drop in {p}", "Overheating of {p} drive motor"),
    "quality": ("Dimensional deviation in {p} lot", "Porosity observed in {p}",
                "Surface finish of {p} not as per drawing"),
    "delivery": ("Delay in dispatch of {p}", "Short supply against invoice for {p}",
                 "Transit damage to {p}"),
    "billing": ("GST mismatch in invoice for {p}", "Credit note pending for returned {p}",
                "Duplicate invoice received"),
    "other": ("Operator training request for {p}", "Updated spares price list needed",
              "Documentation for audit: {p}")}
CASE_RESOLUTIONS = {
    "technical": ("Replaced worn bearing and realigned spindle", "Parameter reset and firmware "
                  "update applied", "Faulty sensor replaced under warranty"),
    "quality": ("Lot re-inspected; 100% sorting done and NCR closed", "Process parameters "
                "corrected at foundry; replacement lot dispatched"),
    "delivery": ("Material dispatched with express transporter", "Shortage shipped; LR shared"),
    "billing": ("Revised invoice issued", "Credit note issued and adjusted"),
    "other": ("Training scheduled and completed", "Documents shared with the customer")}
ROOT_CAUSES = ("Wear and tear", "Operator error", "Supplier defect", "Process deviation",
               "Transporter delay", "Data entry error", "Design limitation")
