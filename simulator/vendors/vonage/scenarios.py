"""What the seeded AI Studio agents do: the parameters they collect, what callers answer, the tags they set.

Plain data, so generated conversations read like the calls a real agent has. Tag names include the
ones 003's examples search for (``cat``, ``dog``, ``rat``, ``invalid``), and callers sometimes say
what 003's examples look for ("shut up", "I love this agent").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # the entity type, e.g. sys.names
    prompt: str
    answers: tuple[tuple[str, str], ...]  # (what the caller says, the value extracted)
    tag: str | None = None  # tag the answer's value in this tag category (a key of Scenario.categories)


@dataclass(frozen=True)
class Scenario:
    name: str
    greeting: str
    params: tuple[Param, ...]
    webhook: tuple[str, str]  # (verb, url)
    categories: tuple[str, ...]  # tag categories this agent uses, by role; the last one gets the outcome
    closing: str
    outcome: tuple[str, str] = ("completed", "invalid")  # tag when the webhook succeeds / when it fails


NAMES = ("Benjamin", "Olivia", "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Chloe",
         "Yusuf", "Hannah", "Daniel", "Leah", "Omar", "Grace", "Tomas", "Ines", "Kenji", "Amara", "Pavel", "Nora")
VOICES = {"en-US": ("Salli", "Joanna", "Matthew", "Joey"), "en-GB": ("Amy", "Brian", "Emma"),
          "de-DE": ("Hans", "Marlene"), "es-ES": ("Conchita", "Enrique"), "fr-FR": ("Celine", "Mathieu")}
LANGUAGES = ("en-US", "en-US", "en-US", "en-GB", "en-GB", "de-DE", "es-ES", "fr-FR")
CHANNELS = ("voice", "voice", "voice", "voice", "voice", "voice", "voice", "voice", "whatsapp", "http")

_NAME_ANSWERS = tuple((f"{phrase}{name}", name) for name in NAMES
                      for phrase in ("", "my name is ", "it's ", "this is "))

SCENARIOS = (
    Scenario(
        name="oriprod",
        greeting="sup?",
        params=(Param("name", "sys.names", "name?", _NAME_ANSWERS),),
        webhook=("POST", "https://hooks.example.com/oriprod/greetings"),
        categories=("flow",),
        closing="shut up {name}",
        outcome=("one", "invalid"),
    ),
    Scenario(
        name="pet-clinic-booking",
        greeting="Welcome to the Riverside pet clinic. I can book a visit for you.",
        params=(
            Param("name", "sys.names", "Who am I speaking with?", _NAME_ANSWERS),
            Param("pet", "@pet_type", "What kind of pet is it?",
                  (("a cat", "cat"), ("my dog", "dog"), ("it's a rat", "rat"), ("a little hamster", "hamster"),
                   ("two cats actually", "cat"), ("a puppy, so a dog", "dog"), ("our parrot", "parrot")), tag="pets"),
            Param("visit_date", "sys.date", "Which day would suit you?",
                  (("next monday", "monday"), ("tomorrow morning", "tomorrow"), ("friday please", "friday"),
                   ("as soon as possible", "today"))),
        ),
        webhook=("POST", "https://api.riverside-vets.example.com/v2/appointments"),
        categories=("pets", "booking"),
        closing="Thanks {name}, your visit is booked. Goodbye!",
        outcome=("booked", "invalid"),
    ),
    Scenario(
        name="pizza-orders",
        greeting="Hi, you reached Tony's pizza. What can I get you?",
        params=(
            Param("size", "@pizza_size", "What size would you like?",
                  (("a large one", "large"), ("medium please", "medium"), ("small", "small"),
                   ("the biggest you have", "large"))),
            Param("topping", "@topping", "Which topping?",
                  (("pepperoni", "pepperoni"), ("just cheese", "margherita"), ("mushrooms and olives", "mushroom"),
                   ("hawaiian, with pineapple", "hawaiian"))),
            Param("address", "sys.address", "Where should we deliver it?",
                  (("12 baker street", "12 Baker Street"), ("221b baker street", "221B Baker Street"),
                   ("4 privet drive", "4 Privet Drive"), ("742 evergreen terrace", "742 Evergreen Terrace"))),
        ),
        webhook=("POST", "https://orders.tonys-pizza.example.com/api/orders"),
        categories=("order", "sentiment"),
        closing="Your {size} pizza is on its way. Enjoy!",
        outcome=("placed", "invalid"),
    ),
    Scenario(
        name="bank-balance",
        greeting="Welcome to Northwind bank. I can tell you your balance.",
        params=(
            Param("account_number", "sys.number", "Please say your account number.",
                  (("one two three four five six", "123456"), ("it is 554433", "554433"),
                   ("998877", "998877"), ("my account is 246810", "246810"))),
            Param("pin", "sys.number", "And your four digit PIN?",
                  (("4321", "4321"), ("one one one one", "1111"), ("7890", "7890"), ("i forgot it", "0000"))),
        ),
        webhook=("GET", "https://core.northwind-bank.example.com/accounts/balance"),
        categories=("security", "intent"),
        closing="Thank you. Is there anything else? Goodbye.",
        outcome=("verified", "invalid"),
    ),
    Scenario(
        name="support-triage",
        greeting="Hello, this is the support line. Tell me what the problem is.",
        params=(
            Param("issue", "@issue_type", "Is it about billing, a technical problem, or something else?",
                  (("my bill is wrong", "billing"), ("the internet keeps dropping", "technical"),
                   ("the router is broken", "technical"), ("i want to cancel", "cancellation"),
                   ("i was charged twice", "billing")), tag="triage"),
            Param("callback", "sys.yes_no", "Can we call you back on this number?",
                  (("yes please", "yes"), ("no thanks", "no"), ("sure", "yes"))),
        ),
        webhook=("POST", "https://tickets.helpdesk.example.com/api/tickets"),
        categories=("triage", "sentiment"),
        closing="A ticket is open. We will be in touch soon.",
        outcome=("ticket_opened", "invalid"),
    ),
)

# Things callers say on the way: (utterance, tag set in the agent's "sentiment"/"flow" category or None).
ASIDES = (
    ("shut up", "angry"), ("this is useless", "angry"), ("i love this agent!", "happy"),
    ("thank you so much", "happy"), ("can i talk to a human", "escalation"), ("hello? are you there", None),
    ("sorry, say that again", None), ("wait a second", None),
)
UNCLEAR = ("umm", "what?", "hold on", "sorry i didn't catch that", "uh huh")
