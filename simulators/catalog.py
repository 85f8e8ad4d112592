"""Reference data of the simulated business: geography, industries, territories, products.

A manufacturer of machines, components and industrial systems selling to Indian plants.
Prices are list prices in INR per unit of measure; deal sizes come from quantities.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """A catalogue item with its list-price range (INR per unit) and delivery lead time."""

    material_id: str
    name: str
    family: str
    uom: str
    price_low: int
    price_high: int
    lead_days: int


def _family(code: str, family: str, uom: str, lead: int,
            items: tuple[tuple[str, int, int], ...]) -> tuple[Product, ...]:
    return tuple(Product(f"MAT-{code}-{n:03d}", name, family, uom, low, high, lead)
                 for n, (name, low, high) in enumerate(items, start=1))


PRODUCTS: tuple[Product, ...] = (
    *_family("CNC", "CNC machining centres", "nos", 75, (
        ("Vertical machining centre VMC-650", 1_800_000, 2_600_000),
        ("Vertical machining centre VMC-850", 2_700_000, 3_900_000),
        ("Horizontal machining centre HMC-500", 5_500_000, 8_500_000),
        ("CNC turning centre TC-250", 1_400_000, 2_200_000))),
    *_family("CST", "Precision castings", "kg", 30, (
        ("SG iron housing castings", 180, 320), ("Aluminium pressure die castings", 420, 780),
        ("Steel investment castings", 650, 1_400))),
    *_family("HYD", "Hydraulic pumps and power packs", "nos", 35, (
        ("Gear pump GP-40", 18_000, 45_000), ("Hydraulic power pack 15 kW", 250_000, 480_000),
        ("Hydraulic power pack 55 kW", 700_000, 1_200_000))),
    *_family("GBX", "Industrial gearboxes", "nos", 45, (
        ("Helical gearbox HG-180", 85_000, 240_000), ("Planetary gearbox PG-300", 150_000,
                                                      900_000),
        ("Worm reduction gearbox WR-90", 40_000, 120_000))),
    *_family("PNL", "Electrical control panels", "nos", 40, (
        ("Motor control centre panel", 300_000, 2_500_000), ("PLC automation panel", 200_000,
                                                            1_800_000),
        ("APFC panel 400 kVAr", 250_000, 650_000))),
    *_family("FRG", "Forgings", "pcs", 40, (
        ("Crankshaft forging", 2_200, 9_000), ("Weld-neck flange 8 inch", 1_800, 6_500),
        ("Connecting rod forging", 900, 2_400))),
    *_family("ROB", "Robotic automation cells", "nos", 90, (
        ("Robotic MIG welding cell", 3_500_000, 9_000_000), ("Robotic palletising cell",
                                                           2_800_000, 6_500_000))),
    *_family("CNV", "Conveyor systems", "nos", 60, (
        ("Belt conveyor line 30 m", 600_000, 1_800_000), ("Overhead chain conveyor 100 m",
                                                         1_500_000, 4_000_000))),
    *_family("CMP", "Screw air compressors", "nos", 30, (
        ("Screw air compressor 37 kW", 400_000, 900_000), ("Screw air compressor 110 kW",
                                                          1_400_000, 2_800_000))),
    *_family("SVC", "Spares and annual maintenance", "lot", 15, (
        ("Annual maintenance contract (machines)", 150_000, 1_200_000),
        ("Critical spares kit", 15_000, 200_000), ("Retrofit and overhaul service",
                                                   300_000, 2_500_000))),
)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(p.family for p in PRODUCTS))
CHEAPEST: dict[str, int] = {f: min(p.price_low for p in PRODUCTS if p.family == f)
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
