"""Shared reference data and vectorised helpers: calendar, countries, currencies, ids, names."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

US_PER_SEC = 1_000_000
US_PER_MIN = 60 * US_PER_SEC
US_PER_HOUR = 60 * US_PER_MIN
US_PER_DAY = 24 * US_PER_HOUR

START_DATE = np.datetime64("2024-11-01", "D")
END_DATE = np.datetime64("2026-11-01", "D")  # exclusive
N_DAYS = int((END_DATE - START_DATE).astype(int))
START_US = int(START_DATE.astype("datetime64[us]").astype(np.int64))
END_US = int(END_DATE.astype("datetime64[us]").astype(np.int64)) - US_PER_MIN  # 2026-10-31 23:59 UTC
FX_START_DATE = START_DATE - np.timedelta64(30, "D")

OWN_BRAND = "Helios"
OWN_MANUFACTURER = "Helios Components"
COMPETITOR_BRANDS = ["Voltrix", "Keystone", "NordParts", "Apex Semi", "Orion Electronics", "Sunwave"]

CURRENCIES = ["USD", "EUR", "GBP", "CNY", "JPY", "INR", "BRL", "MXN", "SGD", "AUD"]
USD_PER_UNIT = np.array([1.0, 1.08, 1.27, 0.139, 0.0067, 0.012, 0.18, 0.055, 0.74, 0.66])
CURRENCY_DECIMALS = np.array([2, 2, 2, 2, 0, 2, 2, 2, 2, 2])

# code, currency index, utc offset minutes, weight, dialing code, regions, cities (parallel to regions)
COUNTRIES: list[tuple[str, int, int, float, str, list[str], list[str]]] = [
    ("US", 0, -300, 0.26, "1", ["CA", "NY", "TX", "IL", "MA"], ["San Jose", "New York", "Austin", "Chicago",
                                                                 "Boston"]),
    ("DE", 1, 60, 0.10, "49", ["BY", "BE", "HH", "NW"], ["München", "Berlin", "Hamburg", "Köln"]),
    ("FR", 1, 60, 0.05, "33", ["IDF", "ARA", "OCC"], ["Paris", "Lyon", "Toulouse"]),
    ("GB", 2, 0, 0.07, "44", ["ENG", "SCT", "WLS"], ["London", "Edinburgh", "Cardiff"]),
    ("CN", 3, 480, 0.18, "86", ["GD", "SH", "BJ", "JS"], ["Shenzhen", "Shanghai", "Beijing", "Suzhou"]),
    ("JP", 4, 540, 0.07, "81", ["13", "27", "23"], ["Tokyo", "Osaka", "Nagoya"]),
    ("IN", 5, 330, 0.09, "91", ["KA", "MH", "DL", "TN"], ["Bengaluru", "Mumbai", "New Delhi", "Chennai"]),
    ("BR", 6, -180, 0.06, "55", ["SP", "RJ", "MG"], ["São Paulo", "Rio de Janeiro", "Belo Horizonte"]),
    ("MX", 7, -360, 0.05, "52", ["CMX", "JAL", "NLE"], ["Ciudad de México", "Guadalajara", "Monterrey"]),
    ("SG", 8, 480, 0.03, "65", ["SG"], ["Singapore"]),
    ("AU", 9, 600, 0.04, "61", ["NSW", "VIC", "QLD"], ["Sydney", "Melbourne", "Brisbane"]),
]
COUNTRY_CODES = np.array([c[0] for c in COUNTRIES], dtype=object)
COUNTRY_CURRENCY = np.array([c[1] for c in COUNTRIES])
COUNTRY_OFFSET_MIN = np.array([c[2] for c in COUNTRIES])
COUNTRY_WEIGHTS = np.array([c[3] for c in COUNTRIES]) / sum(c[3] for c in COUNTRIES)
COUNTRY_DIAL = np.array([c[4] for c in COUNTRIES], dtype=object)
# flattened region/city table with owning-country index
REGION_COUNTRY = np.array([i for i, c in enumerate(COUNTRIES) for _ in c[5]])
REGION_NAMES = np.array([r for c in COUNTRIES for r in c[5]], dtype=object)
REGION_CITIES = np.array([r for c in COUNTRIES for r in c[6]], dtype=object)

FIRST_NAMES = np.array([
    "James", "Mary", "Wei", "Li", "Yuki", "Hiro", "Priya", "Arjun", "Anna", "Lukas", "Sophie", "Louis",
    "Oliver", "Amelia", "João", "Ana", "Carlos", "Lucía", "Chen", "Mei", "Daniel", "Sarah", "Ravi", "Anita",
    "Thomas", "Emma", "Noah", "Mia", "Kenji", "Sakura", "Felix", "Clara", "Mateo", "Valentina", "Ethan", "Ava",
], dtype=object)
LAST_NAMES = np.array([
    "Smith", "Johnson", "Wang", "Zhang", "Tanaka", "Sato", "Sharma", "Patel", "Müller", "Schmidt", "Martin",
    "Bernard", "Brown", "Taylor", "Silva", "Santos", "García", "Hernández", "Liu", "Chen", "Nguyen", "Kim",
    "Kumar", "Singh", "Wilson", "Davies", "Lee", "Tan", "Suzuki", "Weber", "Rossi", "Lopez",
], dtype=object)
COMPANY_WORDS_A = np.array([
    "Pacific", "Nordic", "Atlas", "Vertex", "Quantum", "Bright", "Summit", "Delta", "Crescent", "Ironwood",
    "Blue River", "Golden Gate", "Lotus", "Harbor", "Pioneer", "Evergreen", "Cobalt", "Redstone",
], dtype=object)
COMPANY_WORDS_B = np.array([
    "Electronics", "Robotics", "Automation", "Devices", "Systems", "Engineering", "Instruments", "Controls",
    "Technologies", "Manufacturing", "Labs", "Power",
], dtype=object)
COMPANY_SUFFIX = np.array(["Ltd", "GmbH", "Inc.", "Co.", "LLC", "S.A.", "Pte Ltd", "K.K."], dtype=object)
EMAIL_DOMAINS = np.array(["example.com", "mail.example.org", "inbox.example.net", "corp.example.com"],
                         dtype=object)

CATEGORIES = ["connectors", "capacitors", "resistors", "ics", "sensors", "relays", "inductors", "diodes",
              "transistors", "switches"]
# median list price (USD) per category
CATEGORY_PRICE = np.array([0.9, 0.25, 0.05, 4.5, 6.0, 2.2, 0.4, 0.12, 0.3, 1.5])


def day_weights() -> np.ndarray:
    """Relative order intensity for each simulated day: yearly (Nov/Dec peak) and weekly seasonality."""
    days = START_DATE + np.arange(N_DAYS)
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    weekday = (days.astype(int) + 3) % 7  # 0 = Monday
    month_factor = np.array([0, 0.85, 0.9, 1.0, 1.0, 1.0, 0.95, 0.85, 0.85, 1.0, 1.05, 1.35, 1.45])
    week_factor = np.array([1.1, 1.1, 1.08, 1.05, 1.0, 0.7, 0.6])
    return month_factor[month] * week_factor[weekday]


HOUR_WEIGHTS = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.4, 1.6, 1.6, 1.4, 1.5, 1.6, 1.6,
                         1.5, 1.3, 1.2, 1.4, 1.5, 1.3, 0.9, 0.5])
HOUR_CDF = np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum()


def local_time_of_day_us(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw a time of day (microseconds since local midnight) following a business-hours profile."""
    hour = np.searchsorted(HOUR_CDF, rng.random(n))
    return hour * US_PER_HOUR + rng.integers(0, US_PER_HOUR // US_PER_SEC, n) * US_PER_SEC


def ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    """Format non-negative integers as zero-padded string ids, e.g. ids('O', [7], 6) -> 'O000007'."""
    nums = np.asarray(nums, dtype=np.int64)
    n = len(nums)
    p = np.frombuffer(prefix.encode(), dtype=np.uint8)
    row = len(p) + width
    buf = np.empty((n, row), dtype=np.uint8)
    buf[:, : len(p)] = p
    rest = nums.copy()
    for j in range(row - 1, len(p) - 1, -1):
        buf[:, j] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(0, (n + 1) * row, row, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def ts(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamp array from int64 microseconds since the epoch (mask marks nulls)."""
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us", tz="UTC"), mask=mask)


def dates(days_since_epoch: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """DATE array from integer days since 1970-01-01."""
    return pa.array(np.asarray(days_since_epoch, dtype=np.int32), type=pa.date32(), mask=mask)


def strs(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """String array from a numpy object array."""
    return pa.array(values, type=pa.string(), mask=mask)


def round_money(amount: np.ndarray, currency_idx: np.ndarray) -> np.ndarray:
    """Round amounts to the minor unit of their currency (JPY has none)."""
    scale = 10.0 ** CURRENCY_DECIMALS[currency_idx]
    return np.round(amount * scale) / scale


def load_lag_us(rng: np.random.Generator, n: int, late_share: float = 0.0,
                late_days: tuple[int, int] = (10, 60)) -> np.ndarray:
    """Delay between an event and its landing: minutes to a few hours; a share arrives days late."""
    lag = (rng.exponential(45, n) + 2).astype(np.int64) * US_PER_MIN
    lag = np.minimum(lag, 6 * US_PER_HOUR)
    if late_share > 0:
        late = rng.random(n) < late_share
        lag[late] = rng.integers(late_days[0] * US_PER_DAY, late_days[1] * US_PER_DAY, int(late.sum()))
    return lag


def pick(rng: np.random.Generator, values: np.ndarray, n: int, p: np.ndarray | None = None) -> np.ndarray:
    """Draw n values (with replacement) from an array, optionally weighted."""
    if p is None:
        return values[rng.integers(0, len(values), n)]
    return values[np.searchsorted(np.cumsum(p) / np.sum(p), rng.random(n), side="right").clip(0, len(values) - 1)]


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random (first, last, 'first last') name triples."""
    first = pick(rng, FIRST_NAMES, n)
    last = pick(rng, LAST_NAMES, n)
    return first, last, first + " " + last


def emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Plausible e-mail addresses derived from names."""
    n = len(first)
    num = rng.integers(1, 9999, n).astype(str).astype(object)
    local = np.char.lower(np.char.encode((first + "." + last).astype(str), "ascii", "ignore").astype(str))
    return local.astype(object) + num + "@" + pick(rng, EMAIL_DOMAINS, n)


def phones(rng: np.random.Generator, country_idx: np.ndarray) -> np.ndarray:
    """Phone numbers with the country dialing prefix."""
    n = len(country_idx)
    digits = rng.integers(100_000_000, 999_999_999, n).astype(str).astype(object)
    return "+" + COUNTRY_DIAL[country_idx] + " " + digits


def fx_table(seed_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Daily USD-per-unit rates, a random walk around typical levels.

    Returns (rate_days since epoch, rates[day, currency]) covering 30 days before the window to its end.
    """
    n = int((END_DATE - FX_START_DATE).astype(int))
    steps = seed_rng.normal(0, 0.004, (n, len(CURRENCIES)))
    steps[:, 0] = 0.0
    rates = USD_PER_UNIT[None, :] * np.exp(np.cumsum(steps, axis=0))
    rates[:, 0] = 1.0
    day0 = int(FX_START_DATE.astype(int))
    return np.arange(day0, day0 + n), np.round(rates, 6)
