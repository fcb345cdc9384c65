"""Synthetic business records the way review sites store them, with described sentences labelled per sentence.

The records look like the public Yelp-style data that data-to-text benchmarks use: flags stored as the strings
"True" / "False", nested flags stored as Python-literal strings ("{'garage': False, 'street': True}"), opening
hours as "11:0-22:0", categories as one comma-separated string, star ratings and a review or two. A description
says some of it in words ("It offers takeout.", "On Mondays it is open from 11 am to 10 pm."); a negative changes
one sentence the way real data-to-text errors do: a flag said the other way round, hours or stars changed, a day
the record does not list, an amenity the record does not have.
"""

from __future__ import annotations

import json
import random

__all__ = ["record_rows"]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# flag → (what a description says when it is True, when it is False)
FLAGS = {
    "RestaurantsTakeOut": ("It offers takeout.", "It does not offer takeout."),
    "OutdoorSeating": ("It has outdoor seating.", "It has no outdoor seating."),
    "GoodForKids": ("It is good for kids.", "It is not a place for kids."),
    "BusinessAcceptsCreditCards": ("It accepts credit cards.", "It does not accept credit cards."),
    "RestaurantsDelivery": ("It offers delivery.", "It does not deliver."),
    "RestaurantsReservations": ("You can make reservations.", "It does not take reservations."),
    "WheelchairAccessible": ("It is wheelchair accessible.", "It is not wheelchair accessible."),
    "HasTV": ("There is a TV.", "There is no TV."),
}
EXTRAS = ["It offers free Wi-Fi.", "It has a full bar.", "It hosts live music on weekends.",
          "Valet parking is available.", "It has a private dining room.", "Dogs are welcome on the patio."]
CATEGORIES = ["Pizza", "Italian", "Mexican", "Coffee & Tea", "Bakeries", "Sushi Bars", "Burgers", "Thai",
              "Breakfast & Brunch", "Vegan", "Seafood", "Sandwiches", "Indian", "Delis"]
REVIEWS = ["The crust was crisp and the staff were friendly.", "Service was slow but the curry was excellent.",
           "Great coffee, small seating area, a bit pricey.", "The brunch menu is huge and the portions are big.",
           "Fresh fish, quick service and a quiet dining room.", "The burgers were juicy; the fries were cold."]


def _clock(h: int) -> str:
    return f"{h % 12 or 12} {'am' if h < 12 else 'pm'}"


def record_rows(rng: random.Random, n: int, names: list[str], cities: list[str], row) -> list[dict]:
    """``n`` records, each a positive description and (when the change applies) a negative; ``row`` makes a row."""
    out = []
    for _ in range(n):
        days = sorted(rng.sample(DAYS, rng.randint(3, 6)), key=DAYS.index)
        hours = {d: (rng.randint(6, 11), rng.randint(17, 23)) for d in days}
        flags = {k: rng.random() < 0.6 for k in rng.sample(sorted(FLAGS), rng.randint(3, 6))}
        cats = rng.sample(CATEGORIES, 2)
        stars = rng.choice([2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
        rec = {
            "name": rng.choice(names), "address": f"{rng.randint(2, 990)} Main St", "city": rng.choice(cities),
            "categories": ", ".join(cats + ["Restaurants"]), "business_stars": stars,
            "hours": {d: f"{a}:0-{b}:0" for d, (a, b) in hours.items()},
            "attributes": {k: str(v) for k, v in flags.items()},
            "review_info": [{"review_stars": rng.choice([3.0, 4.0, 5.0]), "review_text": rng.choice(REVIEWS)}],
        }
        if rng.random() < 0.4:
            rec["attributes"]["BusinessParking"] = str({"garage": False, "street": rng.random() < 0.5, "lot": False})
        day = rng.choice(days)
        a, b = hours[day]
        say = [f"{rec['name']} is a {cats[0].lower()} and {cats[1].lower()} restaurant in {rec['city']}.",
               rng.choice([f"It has a rating of {stars:g} stars.", f"Reviewers give it {stars:g} stars."]),
               f"On {day}s it is open from {_clock(a)} to {_clock(b)}."]
        flag = rng.choice(sorted(flags))
        say.append(FLAGS[flag][0 if flags[flag] else 1])
        say.append(f"One reviewer said: \"{rec['review_info'][0]['review_text']}\"")
        pos = [say[0]] + sorted(rng.sample(say[1:], rng.randint(2, len(say) - 1)), key=say.index)
        context = json.dumps(rec)
        out.append(row("data2text", "positive", [context], None, [(s, 1) for s in pos]))
        neg, j = list(pos), None
        how = rng.random()
        flag_at = next((i for i, s in enumerate(neg) if s == FLAGS[flag][0 if flags[flag] else 1]), None)
        if how < 0.3 and flag_at is not None:
            neg[flag_at], j = FLAGS[flag][1 if flags[flag] else 0], flag_at
        elif how < 0.5:
            missing = [d for d in DAYS if d not in hours]
            neg.append(f"It is also open on {rng.choice(missing)}s.")
            j = len(neg) - 1
        elif how < 0.75:
            k = next((i for i, s in enumerate(neg) if "open from" in s or "stars" in s), None)
            if k is not None:
                if "stars" in neg[k]:
                    other = min(5.0, stars + rng.choice([0.5, 1.0, 1.5])) if stars < 5 else 3.5
                    neg[k] = neg[k].replace(f"{stars:g} stars", f"{other:g} stars")
                else:
                    neg[k] = neg[k].replace(f"to {_clock(b)}", f"to {_clock((b + rng.randint(1, 3)) % 24 or 23)}")
                j = k
        else:
            neg.append(rng.choice(EXTRAS))
            j = len(neg) - 1
        if j is not None and neg != pos:
            out.append(row("data2text", "changed", [context], None, [(s, int(i != j)) for i, s in enumerate(neg)]))
    return out
