"""Hartwell & Co, a made-up British chain: a distribution centre at Daventry, a dark store in
Park Royal, 27 stores in real town centres (real coordinates), and a catalogue of everyday
goods with GS1 identifiers (GLN and GTIN-13 with valid check digits, on made-up company
prefixes)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..domain.catalog import Item, Location
from ..domain.gs1 import with_check_digit

NAME = "Hartwell & Co"
GLN_PREFIX = "5012345"  # GS1 UK range; the company prefix itself is made up
GTIN_PREFIX = "5060123"

# code, name, latitude, longitude, size (a weight for range width and footfall)
STORES = [
    ("LON-OXF", "London, Oxford Street", 51.5154, -0.1410, 1.6),
    ("LON-CWF", "London, Canary Wharf", 51.5054, -0.0235, 1.2),
    ("LON-CLJ", "London, Clapham Junction", 51.4643, -0.1700, 1.0),
    ("BHM-BUL", "Birmingham, Bullring", 52.4776, -1.8936, 1.4),
    ("MAN-ARN", "Manchester, Arndale", 53.4833, -2.2388, 1.4),
    ("LDS-BRG", "Leeds, Briggate", 53.7976, -1.5425, 1.1),
    ("GLA-BUC", "Glasgow, Buchanan Street", 55.8617, -4.2526, 1.2),
    ("EDI-PRI", "Edinburgh, Princes Street", 55.9521, -3.1965, 1.1),
    ("LIV-ONE", "Liverpool, Liverpool ONE", 53.4034, -2.9862, 1.1),
    ("BRS-CAB", "Bristol, Cabot Circus", 51.4590, -2.5847, 1.1),
    ("SHF-FAR", "Sheffield, Fargate", 53.3812, -1.4697, 0.9),
    ("NCL-NOR", "Newcastle, Northumberland Street", 54.9755, -1.6130, 1.0),
    ("NTM-VIC", "Nottingham, Victoria Centre", 52.9567, -1.1483, 0.9),
    ("LEI-HIG", "Leicester, Highcross", 52.6375, -1.1383, 0.8),
    ("CDF-QUE", "Cardiff, Queen Street", 51.4823, -3.1731, 1.0),
    ("BFS-DON", "Belfast, Donegall Place", 54.5985, -5.9301, 0.9),
    ("SOU-WQY", "Southampton, WestQuay", 50.9038, -1.4080, 0.9),
    ("BTN-CHU", "Brighton, Churchill Square", 50.8235, -0.1452, 0.9),
    ("OXF-WST", "Oxford, Westgate", 51.7497, -1.2600, 0.8),
    ("CAM-GRA", "Cambridge, Grand Arcade", 52.2037, 0.1199, 0.8),
    ("YRK-CON", "York, Coney Street", 53.9593, -1.0840, 0.7),
    ("NWI-CHA", "Norwich, Chapelfield", 52.6263, 1.2907, 0.7),
    ("PLY-DRA", "Plymouth, Drake Circus", 50.3734, -4.1405, 0.7),
    ("ABZ-UNI", "Aberdeen, Union Square", 57.1441, -2.0972, 0.7),
    ("EXT-PRI", "Exeter, Princesshay", 50.7242, -3.5290, 0.7),
    ("RDG-BRO", "Reading, Broad Street", 51.4557, -0.9718, 0.8),
    ("MKC-CEN", "Milton Keynes, centre:mk", 52.0430, -0.7580, 0.9),
]
DC = ("DAV-DC", "Daventry DC", 52.2720, -1.1610)
DARK_STORE = ("LON-PRK", "London, Park Royal dark store", 51.5290, -0.2760)
ASSOCIATE_STORE = "LON-OXF"  # the store whose associate the demo signs in

# prefix, share of the catalogue, products: (name, sizes, (min cost, max cost)), variants, lines
Products = list[tuple[str, list[str], tuple[float, float]]]
CATEGORIES: list[tuple[str, float, Products, list[str], list[str]]] = [
    ("GRO", 0.30, [
        ("Semi-Skimmed Milk", ["1 pint", "2 pints", "4 pints"], (0.45, 1.25)),
        ("Free Range Eggs", ["6 pack", "12 pack"], (1.10, 2.60)),
        ("Sourdough Loaf", ["400g", "800g"], (1.20, 2.40)),
        ("Mature Cheddar", ["200g", "400g", "800g"], (1.50, 5.20)),
        ("Basmati Rice", ["500g", "1kg", "2kg"], (0.90, 3.40)),
        ("Penne Pasta", ["500g", "1kg"], (0.45, 1.10)),
        ("Extra Virgin Olive Oil", ["500ml", "1L"], (2.80, 6.50)),
        ("Ground Coffee", ["227g", "454g"], (2.10, 4.90)),
        ("Coffee Beans", ["500g", "1kg"], (4.20, 9.80)),
        ("English Breakfast Tea", ["80 bags", "160 bags", "240 bags"], (1.40, 4.20)),
        ("Orange Juice", ["1L", "1.75L"], (0.90, 1.90)),
        ("Dark Chocolate 70%", ["100g", "200g"], (0.85, 1.90)),
        ("Porridge Oats", ["500g", "1kg"], (0.55, 1.20)),
        ("Greek Style Yoghurt", ["500g", "1kg"], (0.80, 1.80)),
        ("Salted Butter", ["250g", "500g"], (1.30, 2.60)),
        ("Clear Honey", ["340g", "680g"], (1.40, 3.10)),
        ("Crunchy Peanut Butter", ["340g", "1kg"], (1.10, 3.20)),
        ("Chopped Tomatoes", ["400g", "4 x 400g"], (0.28, 1.30)),
        ("Baked Beans", ["415g", "4 x 415g"], (0.35, 1.40)),
        ("Sparkling Water", ["1L", "6 x 500ml"], (0.25, 1.50)),
        ("Granola", ["500g", "1kg"], (1.30, 3.40)),
        ("Hummus", ["200g", "300g"], (0.55, 1.10)),
        ("Strawberry Jam", ["340g", "454g"], (0.70, 1.60)),
        ("Sea Salt Crisps", ["150g", "6 pack"], (0.60, 1.50)),
        ("Wholemeal Flour", ["1.5kg"], (0.75, 1.20)),
        ("Tomato Ketchup", ["460g", "910g"], (0.80, 2.10)),
        ("Mayonnaise", ["400ml", "600ml"], (0.90, 2.00)),
        ("Red Lentils", ["500g", "1kg"], (0.70, 1.60)),
        ("Chickpeas", ["400g", "3 x 400g"], (0.35, 1.20)),
        ("Coconut Milk", ["400ml"], (0.60, 1.10)),
        ("Vegetable Stock Cubes", ["8 pack", "24 pack"], (0.45, 1.30)),
        ("Cornflakes", ["500g", "750g"], (0.80, 1.70)),
        ("Digestive Biscuits", ["400g"], (0.45, 0.90)),
        ("Oat Milk", ["1L", "6 x 1L"], (0.80, 4.90)),
        ("Spaghetti", ["500g", "1kg"], (0.40, 1.00)),
        ("Tinned Tuna in Spring Water", ["145g", "4 x 145g"], (0.70, 3.10)),
        ("Frozen Garden Peas", ["900g"], (0.80, 1.40)),
        ("Apple Juice", ["1L"], (0.70, 1.30)),
        ("Mixed Nuts", ["200g", "400g"], (1.40, 3.20)),
        ("Pesto alla Genovese", ["190g"], (1.00, 1.80)),
        ("Balsamic Vinegar", ["250ml", "500ml"], (0.90, 2.40)),
        ("Instant Hot Chocolate", ["300g"], (1.20, 2.10)),
    ], ["Hartwell", "Hartwell Organic", "Hartwell Finest", "Hartwell Everyday", "Field & Mill",
        "Northfold", "Hartwell Free From"], [""]),
    ("HOM", 0.18, [
        ("Cotton Bath Towel", ["70x130cm", "90x150cm"], (4.20, 9.50)),
        ("Cotton Hand Towel", ["50x90cm"], (2.10, 4.20)),
        ("Duvet Cover Set", ["Single", "Double", "King"], (9.50, 22.00)),
        ("Fitted Sheet", ["Single", "Double", "King"], (4.80, 11.00)),
        ("Stoneware Mug", ["350ml", "450ml"], (1.60, 3.20)),
        ("Dinner Plate", ["27cm", "set of 4"], (2.40, 9.80)),
        ("Glass Tumbler", ["set of 4", "set of 6"], (3.10, 6.40)),
        ("Scented Candle", ["200g", "400g"], (2.80, 6.90)),
        ("Cushion Cover", ["45x45cm", "50x50cm"], (2.40, 5.60)),
        ("Knitted Throw", ["130x170cm"], (8.50, 16.00)),
        ("Seagrass Basket", ["small", "large"], (4.10, 9.20)),
        ("Photo Frame", ["6x4in", "10x8in"], (1.80, 4.90)),
    ], ["Charcoal", "Sage", "Ochre", "Navy", "White", "Blush", "Stone", "Teal"],
        ["", "Loft ", "Coastal ", "Heritage "]),
    ("CLO", 0.20, [
        ("Crew Neck T-Shirt", ["XS", "S", "M", "L", "XL", "XXL"], (2.10, 3.40)),
        ("Slim Fit Jeans", ["28R", "30R", "32R", "34R", "36R", "38R"], (7.80, 11.50)),
        ("Merino Jumper", ["XS", "S", "M", "L", "XL"], (12.00, 16.50)),
        ("Cotton Socks 5 Pack", ["4-7", "8-11", "12-14"], (2.20, 3.10)),
        ("Packable Rain Jacket", ["S", "M", "L", "XL"], (9.80, 14.20)),
        ("Oxford Shirt", ["S", "M", "L", "XL", "XXL"], (6.20, 9.10)),
        ("Hooded Sweatshirt", ["XS", "S", "M", "L", "XL"], (7.10, 10.40)),
    ], ["Black", "Navy", "Grey Marl", "Olive", "Ecru", "Rust", "Denim Blue", "Burgundy"],
        ["Men's ", "Women's ", "Kids' "]),
    ("BEA", 0.12, [
        ("Shampoo", ["250ml", "400ml"], (0.90, 2.40)),
        ("Conditioner", ["250ml", "400ml"], (0.90, 2.40)),
        ("Body Wash", ["250ml", "500ml"], (0.80, 1.90)),
        ("Hand Cream", ["75ml", "100ml"], (1.10, 2.60)),
        ("Daily Face Moisturiser SPF15", ["50ml"], (2.40, 4.80)),
        ("Fluoride Toothpaste", ["75ml", "100ml"], (0.55, 1.30)),
        ("Anti-Perspirant Deodorant", ["150ml", "250ml"], (0.90, 1.80)),
        ("Lip Balm", ["4.8g"], (0.60, 1.40)),
        ("Bar Soap", ["100g", "3 x 100g"], (0.45, 1.60)),
    ], ["Citrus", "Lavender", "Coconut", "Sensitive", "Mint", "Aloe", "Oat", "Rose"],
        ["", "Botanics ", "Pure ", "Men's "]),
    ("KIT", 0.10, [
        ("Non-Stick Frying Pan", ["20cm", "24cm", "28cm"], (5.40, 11.80)),
        ("Stainless Steel Saucepan", ["16cm", "18cm", "20cm"], (6.10, 12.40)),
        ("Chef's Knife", ["15cm", "20cm"], (4.20, 9.60)),
        ("Bamboo Chopping Board", ["medium", "large"], (3.10, 6.80)),
        ("Mixing Bowl Set", ["3 piece", "5 piece"], (5.20, 9.90)),
        ("Kettle", ["1.7L"], (9.80, 17.50)),
        ("2-Slice Toaster", ["standard"], (8.90, 16.00)),
        ("Cafetiere", ["3-cup", "8-cup"], (4.80, 9.20)),
        ("Food Storage Set", ["5 piece", "10 piece"], (4.10, 8.70)),
    ], ["Black", "Stainless", "Cream", "Copper", "Sage", "Slate", "Red"],
        ["", "Pro ", "Classic "]),
    ("DIY", 0.06, [
        ("LED Bulb E27 60W Equivalent", ["single", "2 pack", "4 pack"], (1.10, 4.20)),
        ("LED Bulb GU10 50W Equivalent", ["single", "3 pack"], (1.20, 3.60)),
        ("Extension Lead", ["4 way 2m", "6 way 5m"], (3.40, 7.80)),
        ("AA Batteries", ["4 pack", "8 pack", "16 pack"], (1.40, 5.20)),
        ("AAA Batteries", ["4 pack", "8 pack"], (1.40, 3.20)),
        ("Garden Hose", ["15m", "30m"], (6.80, 13.90)),
        ("Terracotta Plant Pot", ["15cm", "20cm", "30cm"], (0.90, 4.60)),
        ("Masking Tape", ["25mm", "50mm"], (0.80, 1.90)),
        ("Wood Screws", ["100 pack", "200 pack"], (1.60, 3.40)),
        ("Cable Ties", ["100 pack"], (0.90, 1.60)),
        ("Smoke Alarm", ["standard", "10-year"], (4.20, 12.50)),
        ("LED Torch", ["pocket", "rechargeable"], (2.10, 8.40)),
        ("Brass Padlock", ["30mm", "40mm", "50mm"], (2.20, 5.10)),
        ("Paint Brush Set", ["3 piece", "5 piece"], (2.40, 5.20)),
        ("Duct Tape", ["25m"], (1.80, 2.90)),
        ("Coir Door Mat", ["40x60cm", "50x80cm"], (3.10, 6.20)),
        ("Picture Hanging Kit", ["standard"], (1.20, 2.40)),
    ], ["Hartwell", "Hartwell Pro"], [""]),
    ("TOY", 0.04, [
        ("Wooden Building Blocks", ["50 piece", "100 piece"], (5.20, 10.40)),
        ("Jigsaw Puzzle", ["500 piece", "1000 piece"], (3.10, 5.90)),
        ("Colouring Pencils", ["24 pack", "36 pack"], (1.60, 3.40)),
        ("Plush Bear", ["small", "large"], (3.40, 7.80)),
        ("Modelling Dough", ["4 pots", "10 pots"], (1.80, 4.20)),
        ("Card Game", ["family", "travel"], (2.10, 4.40)),
        ("Bubble Wand", ["single", "3 pack"], (0.60, 1.70)),
        ("Stacking Cups", ["8 piece"], (2.30, 3.80)),
        ("Kite", ["diamond", "delta"], (3.20, 7.10)),
        ("Toy Car Set", ["5 pack", "10 pack"], (3.40, 7.90)),
    ], ["Hartwell Kids", "Little Hartwell"], [""]),
]


@dataclass(frozen=True, slots=True)
class Product:
    item: Item
    category: str
    popularity: float  # relative sales weight


def locations() -> list[Location]:
    """The DC, the dark store and the stores, each with a GLN (valid check digit)."""
    out = [Location(code=DC[0], kind="dc", name=DC[1], gln=_gln(1), latitude=DC[2],
                    longitude=DC[3], can_ship=True, can_pickup=False, daily_capacity=5000),
           Location(code=DARK_STORE[0], kind="dark_store", name=DARK_STORE[1], gln=_gln(2),
                    latitude=DARK_STORE[2], longitude=DARK_STORE[3], can_ship=True,
                    can_pickup=False, daily_capacity=800)]
    for i, (code, name, lat, lon, size) in enumerate(STORES):
        out.append(Location(code=code, kind="store", name=name, gln=_gln(100 + i), latitude=lat,
                            longitude=lon, can_ship=size >= 0.9, can_pickup=True,
                            daily_capacity=int(60 * size)))
    return out


def store_sizes() -> dict[str, float]:
    return {code: size for code, _, _, _, size in STORES}


def _gln(n: int) -> str:
    return with_check_digit(f"{GLN_PREFIX}{n:05d}")


def catalogue(n: int, rng: random.Random) -> list[Product]:
    """`n` items across the categories (by their shares), each with a GTIN-13 and a unit cost;
    popularity follows a Zipf-like curve, as retail sales do."""
    chosen: list[tuple[str, str, tuple[float, float], float]] = []
    spare: list[tuple[str, str, tuple[float, float], float]] = []
    for prefix, share, products, variants, lines in CATEGORIES:
        candidates = [(prefix, _name(prefix, line + p[0], v, size), p[2],
                       i / max(len(p[1]) - 1, 1))
                      for p in products for v in variants for line in lines
                      for i, size in enumerate(p[1])]
        rng.shuffle(candidates)
        quota = max(1, round(n * share))
        chosen += candidates[:quota]
        spare += candidates[quota:]
    rng.shuffle(spare)
    chosen = (chosen + spare)[:n]
    rng.shuffle(chosen)
    out = []
    counters: dict[str, int] = {}
    for rank, (prefix, name, (low, high), size_pos) in enumerate(chosen, start=1):
        counters[prefix] = counters.get(prefix, 0) + 1
        cost = round(low + (high - low) * (0.7 * size_pos + 0.3 * rng.random()), 2)
        item = Item(sku=f"{prefix}-{counters[prefix]:05d}", name=name,
                    gtin=with_check_digit(f"{GTIN_PREFIX}{rank:05d}"), unit_cost=cost)
        out.append(Product(item, prefix, 1.0 / rank ** 0.85))
    return out


def _name(prefix: str, product: str, variant: str, size: str) -> str:
    if prefix in ("GRO", "DIY", "TOY"):
        return f"{variant} {product} {size}"
    if prefix == "CLO":
        return f"{product}, {variant}, {size}"
    return f"{product} {size}, {variant}"
