#!/usr/bin/env python3
"""Writes the bundled sample export, data/sample.csv, reproducibly:

    python3 data/generate.py > data/sample.csv

Realistic listening for `make run` to find peaks in: 40 users with their
own activity levels and favourite hours, 2500 tracks of Zipf popularity,
59 weeks from Monday 2025-01-06 to Sunday 2026-02-22, more listening at
the weekend than on weekdays, and tracks mostly played through, sometimes
skipped.  Three things are planted for the tools to find:

* a spike: ISO week 2025-W27 has twice the usual listening (a festival);
* a dip: 2025-W52 and 2026-W01 have a quarter of it (holidays): two
  exceptional weeks in a row, so only 2025-W52 is a peak;
* 12 duplicate rows (a record sent twice) and 8 bad rows, one for each
  way an export goes wrong, which listen-parse rejects.

The seed is fixed, so the output is the same byte for byte on every run.

`make bench` uses the same generator at scale:

    python3 data/generate.py --listens 5000000 > bench/work/5m.csv

writes about that many listens (played_at, user_id, track_id, ms_played)
from 20000 users over Zipf-distributed tracks, day by day, rows only
roughly in time order (shuffled within a few minutes), with about 5 %
exact duplicates.  `--start YYYY-MM-DD` moves the first day, so that a
daily delta can be generated after what is stored.
"""
import csv
import random
import sys
from datetime import datetime, timedelta, timezone

SEED = 20250106
START = datetime(2025, 1, 6, tzinfo=timezone.utc)  # a Monday
WEEKS = 59
SPIKE = {(2025, 27): 2.0}
DIP = {(2025, 52): 0.25, (2026, 1): 0.25}

rng = random.Random(SEED)

ARTISTS = ["The Quiet Rooms", "Marisol Vega", "Kotaro & the Lamps",
           "Northern Static", "Ada Lovelace Orchestra", "Los Hermanos Díaz",
           "Beyoncé Knowles Tribute", "Sigur Rós Covers", "DJ Tab\\Slash",
           'The "Quoted" Band', "Kim, Lee and Park", "Mötley Zoo",
           "Żaneta", "Ōkami", "Saint Étienne Loop", "Nine Inch Snails"]
WORDS = ["Night", "Drive", "Blue", "Summer", "Echo", "Heart", "River",
         "Glass", "Fire", "Paper", "Moon", "Static", "Gold", "Rain",
         "Ghost", "Motel", "Canyon", "Velvet", "Signal", "Harbour"]


def make_tracks(n):
    tracks = []
    for i in range(n):
        title = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
        if rng.random() < 0.05:
            title += ", Pt. " + str(rng.randint(2, 4))
        tracks.append({
            "id": "track:%05d" % i,
            "artist": rng.choice(ARTISTS),
            "title": title,
            "length_ms": rng.randint(120_000, 360_000),
        })
    return tracks


def zipf_weights(n, s=1.07):
    return [1 / (k ** s) for k in range(1, n + 1)]


def main():
    tracks = make_tracks(2500)
    weights = zipf_weights(len(tracks))
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    users = [{"id": "user_%02d" % u,
              "rate": rng.uniform(0.8, 2.6),  # listens per day
              "hour": rng.choice([8, 12, 18, 21, 23])}
             for u in range(1, 41)]

    rows = []
    for day in range(WEEKS * 7):
        date = START + timedelta(days=day)
        iso = date.isocalendar()
        factor = SPIKE.get((iso[0], iso[1]), 1.0) * DIP.get((iso[0], iso[1]), 1.0)
        if date.weekday() >= 5:
            factor *= 1.4
        for user in users:
            n = rng_poisson(user["rate"] * factor)
            for _ in range(n):
                track = tracks[bisect(cum, rng.random() * total)]
                hour = int(rng.gauss(user["hour"], 2.5)) % 24
                t = date + timedelta(hours=hour, seconds=rng.randrange(3600),
                                     milliseconds=rng.randrange(1000))
                if rng.random() < 0.72:
                    ms = track["length_ms"]
                else:
                    ms = rng.randrange(0, track["length_ms"])
                rows.append([t, user["id"], track, ms])
    rows.sort(key=lambda r: (r[0], r[1]))

    out = []
    for t, user, track, ms in rows:
        out.append([t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000),
                    user, track["id"], track["artist"], track["title"], str(ms)])
    for i in rng.sample(range(len(out)), 12):  # a record sent twice
        out.insert(i + 1, list(out[i]))
    bad = [
        ["2025-13-02T10:00:00.000Z", "user_01", "track:00001", "A", "B", "200000"],
        ["", "user_02", "track:00002", "A", "B", "200000"],
        ["2025-03-04T10:00:00.000Z", "user_03", "track:00003", "A", "B", "-5"],
        ["2025-03-04T11:00:00.000Z", "user_03", "track:00003", "A", "B", "NaN"],
        ["2025-03-04T12:00:00.000Z", "user_03", "track:00003", "A", "B", ""],
        ["2025-03-04T13:00:00.000Z", "user_03", "track:00003", "A", "B", "90000000"],
        ["1999-12-31T23:00:00.000Z", "user_04", "track:00004", "A", "B", "1000"],
        ["2025-03-05T10:00:00.000Z", "user_05", "track:00005", "A", "B"],
    ]
    for b in bad:
        out.insert(rng.randrange(len(out)), b)

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["played_at", "user_id", "track_id", "artist_name",
                "track_name", "ms_played"])
    w.writerows(out)


def bisect(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def rng_poisson(lam):
    # Knuth's method: exact for the small rates used here.
    import math
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def bench(n, start, dup_pct):
    """Streams about n listens, day by day, in bounded memory."""
    import math
    tracks = 200_000
    zipf_s = 1.1
    # Inverse-CDF sampling of a Zipf-like law over track ranks, in closed
    # form (a continuous approximation), so no table of 200000 weights.
    h = (tracks ** (1 - zipf_s) - 1) / (1 - zipf_s)
    users = 20_000
    days = max(1, min(730, n // 5000))
    per_day = n / days
    out = sys.stdout
    out.write("played_at,user_id,track_id,ms_played\n")
    rand = rng.random
    written = 0
    for day in range(days):
        date = start + timedelta(days=day)
        base = int(date.timestamp())
        count = int(per_day * (1.3 if date.weekday() >= 5 else 0.9))
        if day == days - 1:
            count = max(0, n - written)
        rows = []
        for _ in range(count):
            sec = base + int(rand() * 86400)
            rank = int((1 + rand() * h * (1 - zipf_s)) ** (1 / (1 - zipf_s)))
            ms = int(rand() * 1000)
            length = 120_000 + (rank * 7919) % 240_000
            played = length if rand() < 0.7 else int(rand() * length)
            rows.append((sec + rand() * 300, sec, ms, int(rand() * users),
                         rank, played))
        rows.sort()
        lines = []
        for _, sec, ms, user, rank, played in rows:
            t = datetime.fromtimestamp(sec, timezone.utc)
            line = "%s.%03dZ,user_%05d,spotify:track:%07d,%d\n" % (
                t.strftime("%Y-%m-%dT%H:%M:%S"), ms, user, rank, played)
            lines.append(line)
            if rand() * 100 < dup_pct:
                lines.append(line)
        out.write("".join(lines))
        written += count


if __name__ == "__main__":
    if len(sys.argv) > 1:
        import argparse
        ap = argparse.ArgumentParser(description="bench input generator")
        ap.add_argument("--listens", type=int, required=True)
        ap.add_argument("--start", default="2023-01-02")
        ap.add_argument("--dup-pct", type=float, default=5.0)
        ap.add_argument("--seed", type=int, default=SEED)
        a = ap.parse_args()
        rng.seed(a.seed)
        bench(a.listens,
              datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=timezone.utc),
              a.dup_pct)
    else:
        main()
