"""Believable, clearly fictional people for the demo shop, generated deterministically.

Each person is a pure function of (seed, key): the same customer always gets the same name, email
and city, whatever else the run contains. Emails use the reserved example.* domains (RFC 2606),
so no real mailbox is ever named.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FEMALE_FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya",
    "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Daisy",
    "Phoebe", "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia", "Maya", "Millie", "Eva", "Lucy", "Esme",
    "Chloe", "Jessica", "Hannah", "Rebecca", "Laura", "Sarah", "Claire", "Emma", "Helen", "Joanne", "Rachel",
    "Nicola", "Victoria", "Kate", "Amy", "Zoe", "Natalie", "Megan", "Abigail", "Eleanor", "Harriet", "Imogen",
    "Beatrice", "Clara", "Anna", "Leah", "Nora", "Julia", "Martha", "Naomi", "Priya", "Aisha", "Fatima", "Mei",
    "Yuki", "Sofia", "Lena", "Marie", "Camille", "Ines", "Lucia", "Elena", "Chiara", "Ingrid", "Astrid",
    "Katarzyna", "Aoife", "Siobhan", "Margaret", "Susan", "Patricia", "Karen", "Linda", "Deborah", "Gillian",
    "Catherine", "Fiona", "Jennifer", "Michelle", "Louise", "Heather", "Caroline", "Diane", "Paula", "Janet",
)
MALE_FIRST_NAMES = (
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Archie", "Henry", "Jack", "Thomas", "James",
    "William", "Daniel", "Samuel", "David", "Matthew", "Andrew", "Luca", "Mateo", "Lukas", "Jonas", "Hugo",
    "Ravi", "Omar", "Kenji",
)
NEUTRAL_FIRST_NAMES = ("Alex", "Sam", "Charlie", "Robin", "Jordan", "Morgan", "Riley", "Jamie")
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson",
    "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark",
    "King", "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis",
    "Parker", "James", "Bennett", "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook",
    "Singh", "Shaw", "Bell", "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall",
    "Simpson", "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy",
    "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer", "Campbell", "Holmes",
    "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker", "Powell", "Stevens", "Kaur", "Fisher",
    "Butler", "Dixon", "Russell", "Harvey", "Pearson", "Graham", "Fletcher", "Muller", "Schmidt", "Dubois",
    "Moreau", "Garcia", "Fernandez", "Silva", "Santos", "de Vries", "Jansen", "Andersson", "Nilsson", "Peeters",
    "Rossi", "Bianchi", "Novak", "Kowalski", "O'Brien", "Byrne", "Tanaka", "Sato", "Kim", "Cohen", "Nguyen",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# The source's country names, spelled as a shop's address book would.
COUNTRY_NAMES = {"EIRE": "Ireland", "RSA": "South Africa", "USA": "United States", "Korea": "South Korea"}
CITIES = {
    "United Kingdom": (
        "London", "London", "London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Edinburgh",
        "Liverpool", "Sheffield", "Nottingham", "Brighton", "Cardiff", "Newcastle upon Tyne", "Leicester", "York",
        "Oxford", "Cambridge", "Bath", "Norwich", "Exeter", "Reading", "Southampton", "Belfast", "Aberdeen",
    ),
    "Germany": ("Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig"),
    "France": ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille", "Strasbourg"),
    "Netherlands": ("Amsterdam", "Rotterdam", "Utrecht", "The Hague", "Eindhoven", "Groningen"),
    "Spain": ("Madrid", "Barcelona", "Valencia", "Seville", "Bilbao", "Málaga"),
    "Portugal": ("Lisbon", "Porto", "Braga", "Coimbra", "Faro"),
    "Sweden": ("Stockholm", "Gothenburg", "Malmö", "Uppsala"),
    "Belgium": ("Brussels", "Antwerp", "Ghent", "Bruges", "Leuven"),
    "Switzerland": ("Zurich", "Geneva", "Basel", "Bern", "Lausanne"),
    "Australia": ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"),
    "Italy": ("Rome", "Milan", "Turin", "Florence", "Bologna", "Naples"),
    "Channel Islands": ("St Helier", "St Peter Port"),
    "Austria": ("Vienna", "Graz", "Salzburg", "Innsbruck"),
    "Denmark": ("Copenhagen", "Aarhus", "Odense"),
    "Cyprus": ("Nicosia", "Limassol", "Larnaca"),
    "Japan": ("Tokyo", "Osaka", "Kyoto", "Yokohama"),
    "Finland": ("Helsinki", "Espoo", "Tampere", "Turku"),
    "United States": ("New York", "Los Angeles", "Chicago", "Boston", "Seattle", "Austin"),
    "United Arab Emirates": ("Dubai", "Abu Dhabi"),
    "Norway": ("Oslo", "Bergen", "Trondheim"),
    "Greece": ("Athens", "Thessaloniki"),
    "Ireland": ("Dublin", "Cork", "Galway"),
    "Poland": ("Warsaw", "Kraków", "Gdańsk"),
    "South Korea": ("Seoul", "Busan"),
    "Israel": ("Tel Aviv", "Jerusalem", "Haifa"),
    "Bahrain": ("Manama",),
    "West Indies": ("Bridgetown", "Kingston"),
    "Thailand": ("Bangkok", "Chiang Mai"),
    "Singapore": ("Singapore",),
    "South Africa": ("Cape Town", "Johannesburg", "Durban"),
    "Nigeria": ("Lagos", "Abuja"),
    "Malta": ("Valletta", "Sliema"),
    "Lithuania": ("Vilnius", "Kaunas"),
    "Iceland": ("Reykjavík",),
    "Canada": ("Toronto", "Vancouver", "Montreal"),
    "Brazil": ("São Paulo", "Rio de Janeiro"),
}


@dataclass(frozen=True, slots=True)
class DemoPerson:
    name: str
    email: str
    gender: str
    city: str
    country: str


def demo_person_make(*, seed: int, key: str, country: str) -> DemoPerson:
    """A person for customer `key`; a women's-wear shop's members are mostly women (≈88 %)."""
    rng = random.Random(f"{seed}:person:{key}")
    roll = rng.random()
    if roll < 0.88:
        first, gender = rng.choice(FEMALE_FIRST_NAMES), "f"
    elif roll < 0.97:
        first, gender = rng.choice(MALE_FIRST_NAMES), "m"
    else:
        first, gender = rng.choice(NEUTRAL_FIRST_NAMES), rng.choice(("x", ""))
    last = rng.choice(SURNAMES)
    country = COUNTRY_NAMES.get(country, country)
    cities = CITIES.get(country, ())
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    # The customer key keeps two Olivia Smiths apart.
    email = f"{local}{key}@{rng.choice(EMAIL_DOMAINS)}"
    return DemoPerson(
        name=f"{first} {last}", email=email, gender=gender, city=rng.choice(cities) if cities else "", country=country
    )
