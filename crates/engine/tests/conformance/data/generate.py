#!/usr/bin/env python3
"""Writes the conformance corpus's input files (CSV, no header) next to this script.

Plain Python 3.11, no packages, a fixed seed: running it again writes the same bytes. The
files are committed; change this script (and regenerate every golden with
scripts/flink-goldens.sh) only on purpose.

Every event-time file is written in ARRIVAL order, not in event-time order: each row's
arrival is its event time plus a delay (mostly 0, sometimes up to 5 s, sometimes 5-30 s and
rarely 30-120 s), so the files hold out-of-order rows and rows that are late behind a 5 s
watermark, but nothing is more than about 2 minutes out of order (joins use a 3-minute
watermark delay to see no late row at all).

Timestamps are UTC wall-clock text `2024-03-01 12:00:02.035` (always three fraction digits).
An empty field is SQL NULL: every table declares `'csv.null-literal' = ''` (without it, Flink's
csv format fails on an empty numeric field and reads an empty STRING field as ''). No string
value is empty.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = datetime(2024, 3, 1, 12, 0, 0)


def ts_text(ms):
    t = BASE + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def field(value):
    if value is None:
        return ""
    if isinstance(value, str):
        assert value != "", "an empty string would read as NULL"
        if any(c in value for c in ',"\n') or value != value.strip() or value == "":
            return '"' + value.replace('"', '""') + '"'
        return value
    return str(value)


def write(name, rows):
    path = HERE / name
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(",".join(field(v) for v in row) + "\n")
    print(f"{name}: {len(rows)} rows")


def delay(rng):
    """How long after its event time a row arrives, in ms."""
    r = rng.random()
    if r < 0.80:
        return 0
    if r < 0.92:
        return rng.randint(1, 4_999)
    if r < 0.98:
        return rng.randint(5_000, 30_000)
    return rng.randint(30_000, 120_000)


def arrival_order(rows, rng, ts_index):
    """Rows sorted by event time -> rows in arrival order (stable for equal arrivals)."""
    keyed = [(row[ts_index] + delay(rng), i, row) for i, row in enumerate(rows)]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [row for _, _, row in keyed]


def money(rng, low, high):
    return (Decimal(rng.randint(int(low * 100), int(high * 100))) / 100).quantize(Decimal("0.01"))


def with_ts_text(rows, ts_index):
    return [tuple(ts_text(v) if i == ts_index else v for i, v in enumerate(row)) for row in rows]


PRODUCTS = ["keyboard", "mouse", "monitor", "laptop", "cable", "headset",
            "webcam", "dock", "charger", "speaker", "tablet", "stand"]
BASE_PRICE = {"keyboard": 49, "mouse": 19, "monitor": 229, "laptop": 999, "cable": 9,
              "headset": 79, "webcam": 59, "dock": 149, "charger": 29, "speaker": 89,
              "tablet": 399, "stand": 39}
CURRENCIES = ["EUR"] * 5 + ["USD"] * 4 + ["GBP"] * 2 + ["JPY"] * 2 + ["CHF"]
COUPONS = ["SPRING10", "VIP20", "FREESHIP", "WELCOME5"]
RATE_CHANGES = ["2024-03-01 12:07:00.000", "2024-03-01 12:15:00.000", "2024-03-01 12:21:30.000"]


def orders(rng):
    """orders.csv: order_id, user_id, product, amount DECIMAL(10,2), status, currency, coupon, ts."""
    rows = []
    now = 0
    for order_id in range(1, 1501):
        now += rng.randint(200, 2_600)
        user = None if rng.random() < 0.015 else rng.randint(1, 40)
        product = rng.choice(PRODUCTS)
        base = BASE_PRICE[product]
        amount = None if rng.random() < 0.01 else money(rng, base * 0.5, base * 1.5)
        status = rng.choices(["NEW", "PAID", "SHIPPED", "CANCELLED", "REFUNDED"],
                             [30, 35, 20, 10, 5])[0]
        currency = rng.choice(CURRENCIES)
        coupon = rng.choice(COUPONS) if rng.random() < 0.3 else None
        rows.append([order_id, user, product, amount, status, currency, coupon, now])
    # A few orders exactly at the instant a rate changes (temporal joins are inclusive).
    for i, text in enumerate(RATE_CHANGES):
        ms = int((datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f") - BASE).total_seconds() * 1000)
        rows[100 + 300 * i][7] = ms
    rows.sort(key=lambda r: (r[7], r[0]))
    return rows


def payments(rng, order_rows):
    """payments.csv: payment_id, order_id, amount DECIMAL(10,2), pay_method, ts."""
    rows = []
    for o in sorted(order_rows, key=lambda r: r[0]):
        order_id, amount, status, ts = o[0], o[3], o[4], o[7]
        if status == "NEW" and rng.random() < 0.7:
            continue
        if rng.random() < 0.08:
            continue
        r = rng.random()
        if r < 0.45:
            after = rng.randint(500, 40_000)
        elif r < 0.9:
            after = rng.randint(40_000, 480_000)
        else:
            after = rng.randint(480_000, 900_000)
        method = rng.choices(["card", "paypal", "bank_transfer", "voucher", None], [50, 25, 15, 7, 3])[0]
        total = amount if amount is not None else Decimal("10.00")
        if rng.random() < 0.06:
            # Paid in two parts.
            first = (total / 2).quantize(Decimal("0.01"))
            rows.append([0, order_id, first, method, ts + after])
            rows.append([0, order_id, total - first, "card", ts + after + rng.randint(1_000, 90_000)])
        else:
            rows.append([0, order_id, total, method, ts + after])
    # Payments for orders that do not exist.
    for k in range(12):
        rows.append([0, 5000 + k, money(rng, 5, 300), "card", rng.randint(0, 2_100_000)])
    rows.sort(key=lambda r: (r[4], r[1]))
    for i, row in enumerate(rows):
        row[0] = 9001 + i
    return rows


def shipments(rng, payment_rows):
    """shipments.csv: shipment_id, order_id, carrier, ts."""
    rows = []
    seen = set()
    for p in payment_rows:
        order_id = p[1]
        if order_id in seen or order_id >= 5000 or rng.random() < 0.3:
            continue
        seen.add(order_id)
        carrier = rng.choices(["DHL", "UPS", "FedEx", None], [40, 35, 20, 5])[0]
        rows.append([0, order_id, carrier, p[4] + rng.randint(60_000, 1_200_000)])
    rows.sort(key=lambda r: (r[3], r[1]))
    for i, row in enumerate(rows):
        row[0] = 70001 + i
    return rows


def rates(rng):
    """rates.csv (a versioned table): currency, rate DECIMAL(10,4), valid_from.

    EUR/USD/GBP have a version from 11:59; JPY's first version is at 12:05 (earlier JPY
    orders find no version); CHF has none at all.
    """
    start = {"EUR": Decimal("1.0850"), "USD": Decimal("1.0000"), "GBP": Decimal("1.2700"),
             "JPY": Decimal("0.0067")}
    rows = []
    for cur, rate in start.items():
        t = -60_000 if cur != "JPY" else 300_000
        while t < 2_400_000:
            rows.append([cur, rate, t])
            step = Decimal(rng.randint(-150, 150)) / 10_000 * (Decimal("0.01") if cur == "JPY" else 1)
            rate = max(rate + step, Decimal("0.0001")).quantize(Decimal("0.0001"))
            t += rng.randint(2, 6) * 60_000 + rng.choice([0, 0, 30_000, rng.randint(1, 59_999)])
    # Rate changes at fixed instants that some orders share exactly.
    for text, cur in zip(RATE_CHANGES, ["EUR", "USD", "GBP"]):
        ms = int((datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f") - BASE).total_seconds() * 1000)
        rows.append([cur, (Decimal(rng.randint(9000, 13000)) / 10_000).quantize(Decimal("0.0001")), ms])
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def prices(rng):
    """prices.csv (an append-only change stream of product prices): product, price, valid_from.

    Each product has a first price at 11:58 and changes every few minutes; a later change can
    repeat an earlier price. `tablet` gets its first price only at 12:10.
    """
    rows = []
    for product in PRODUCTS:
        t = -120_000 if product != "tablet" else 600_000
        while t < 2_400_000:
            base = BASE_PRICE[product]
            rows.append([product, money(rng, base * 0.8, base * 1.2), t])
            t += rng.randint(3, 9) * 60_000 + rng.randint(0, 59) * 1000
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def users(rng):
    """users.csv: user_id, name, email, country (nullable), tier, credit DECIMAL(10,2).

    Users 1..35 and 41..45: orders of users 36..40 find no user, users 41..45 have no orders.
    """
    first = ["ann", "Bob", "CARLA", "dmitri", "Eve", "fatima", "Gus", "hana", "Ivan", "jo"]
    last = ["smith", "O'Neil", "van der Berg", "Lee", "MÜLLER", "garcía", "Ng", "de la Cruz"]
    rows = []
    for user_id in list(range(1, 36)) + list(range(41, 46)):
        f, l = rng.choice(first), rng.choice(last)
        name = f"{f} {l}"
        if rng.random() < 0.15:
            name = "  " + name + " "
        email = f"{f.lower()}.{l.lower().replace(' ', '').replace(chr(39), '')}{user_id}@example.{rng.choice(['com', 'org', 'de'])}"
        country = rng.choices(["DE", "US", "GB", "FR", "JP", None], [25, 25, 15, 15, 10, 10])[0]
        tier = rng.choice(["gold", "silver", "bronze"])
        credit = money(rng, -50, 500) if rng.random() < 0.9 else None
        rows.append([user_id, name, email, country, tier, credit])
    return rows


def clicks(rng):
    """clicks.csv: user_id, url, ts. Bursts of clicks (1-20 s apart) separated by gaps of
    25 s to 4 min, per user; rows arrive out of order and some late."""
    pages = ["/", "/search", "/product/keyboard", "/product/laptop", "/product/mouse",
             "/cart", "/checkout", "/help", "/account"]
    rows = []
    for user in range(1, 21):
        t = rng.randint(0, 120_000)
        while t < 1_500_000:
            for _ in range(rng.randint(1, 10)):
                rows.append([user, rng.choice(pages), t])
                t += rng.randint(1_000, 20_000)
            t += rng.randint(25_000, 240_000)
    rows.sort(key=lambda r: (r[2], r[0]))
    return arrival_order(rows, rng, 2)


def ticks(rng):
    """ticks.csv: symbol, price DECIMAL(10,2), volume INT, ts. A random walk per symbol, one
    tick about every second, for MATCH_RECOGNIZE."""
    rows = []
    for symbol, price in [("ACME", Decimal("50.00")), ("GLOBEX", Decimal("120.00")),
                          ("INITECH", Decimal("8.50"))]:
        t = rng.randint(0, 2_000)
        for _ in range(400):
            rows.append([symbol, price, rng.randint(1, 50) * 10, t])
            price = max(price + Decimal(rng.randint(-30, 30)) / 100, Decimal("0.50")).quantize(Decimal("0.01"))
            t += rng.randint(500, 1_500)
    rows.sort(key=lambda r: (r[3], r[0]))
    return arrival_order(rows, rng, 3)


def readings(rng):
    """readings.csv: sensor_id, temperature DOUBLE, humidity DOUBLE (nullable), ts."""
    rows = []
    for sensor in ["s1", "s2", "s3", "s4", "s5"]:
        t = rng.randint(0, 5_000)
        temp = 18 + rng.random() * 6
        for _ in range(120):
            temp += rng.uniform(-0.6, 0.65)
            humidity = None if rng.random() < 0.05 else round(rng.uniform(30, 70), 1)
            rows.append([sensor, round(temp, 2), humidity, t])
            t += rng.randint(3_000, 7_000)
    rows.sort(key=lambda r: (r[3], r[0]))
    return arrival_order(rows, rng, 3)


def texts(rng):
    """texts.csv: id, body STRING, code STRING, payload STRING (JSON, some invalid),
    amount DECIMAL(10,2) (nullable, some negative), score DOUBLE, ts (calendar edge cases)."""
    bodies = [
        "  Hello World  ", "order-00123/EU", "john.doe@example.com", "ABC_def_GHI",
        "the quick brown fox", "ITEM#42 qty=7 price=19.99", "tab\tseparated", "x",
        "  leading", "trailing  ", "MiXeD cAsE wOrDs", "path/to/file.csv", "a,b,c",
        "sku:KB-2024-XL", "Straße", "naïve café", "100%", "phone +1 (555) 010-9999",
        "key1=val1;key2=val2", "ORD-7-DE", "ORD-15-US", "ord-99-gb",
    ]
    codes = ["42", "3.14", "abc", "377.25", " 7 ", "-0", "1e3", "2147483648", "0042",
             "12.345", "-8.5", "TRUE", None]
    payloads = [
        '{"user":{"id":7,"name":"Ann"},"items":[1,2,3],"total":12.5}',
        '{"user":{"id":8,"name":"Bob"},"items":[],"total":0}',
        '{"user":{"id":9},"total":"n/a"}',
        '{"type":"click","page":"/cart","tags":["a","b"]}',
        '{"user":null,"total":99.99}',
        'not json',
        '[1,2,3]',
        '{"user":{"id":10,"name":"Çelik"},"total":1e2}',
    ]
    edge_times = ["2024-02-29 23:59:59.999", "2024-01-01 00:00:00.000", "2023-12-31 23:59:59.500",
                  "2024-03-10 07:30:00.000", "2024-11-03 06:15:30.250", "2024-07-04 12:00:00.001",
                  "1999-12-31 23:59:59.999", "2024-03-01 12:00:02.035"]
    rows = []
    for i in range(1, 201):
        body = rng.choice(bodies) if rng.random() < 0.95 else None
        code = rng.choice(codes)
        payload = rng.choice(payloads) if rng.random() < 0.93 else None
        amount = None if rng.random() < 0.05 else money(rng, -500, 500)
        if rng.random() < 0.1:
            amount = rng.choice([Decimal("0.05"), Decimal("-0.05"), Decimal("2.50"),
                                 Decimal("-2.50"), Decimal("0.00"), Decimal("1234.55")])
        score = rng.choice([0.0, 1.0, 2.0, 0.5, 10.0, 1e-3]) if rng.random() < 0.2 \
            else round(rng.uniform(0, 1000), 3)
        if i <= len(edge_times):
            ts = edge_times[i - 1]
        else:
            t = BASE + timedelta(days=rng.randint(-400, 400), milliseconds=rng.randint(0, 86_399_999))
            ts = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
        rows.append((i, body, code, payload, amount, score, ts))
    return rows


def main():
    rng = random.Random(20240301)
    order_rows = orders(rng)
    payment_rows = payments(rng, order_rows)
    shipment_rows = shipments(rng, payment_rows)
    write("orders.csv", with_ts_text(arrival_order(order_rows, rng, 7), 7))
    write("payments.csv", with_ts_text(arrival_order(payment_rows, rng, 4), 4))
    write("shipments.csv", with_ts_text(arrival_order(shipment_rows, rng, 3), 3))
    write("rates.csv", with_ts_text(rates(rng), 2))
    write("prices.csv", with_ts_text(prices(rng), 2))
    write("users.csv", users(rng))
    write("clicks.csv", with_ts_text(clicks(rng), 2))
    write("ticks.csv", with_ts_text(ticks(rng), 3))
    write("readings.csv", with_ts_text(readings(rng), 3))
    write("texts.csv", texts(rng))


if __name__ == "__main__":
    main()
