"""Write docs/codes.md from the code tables (python scripts/gen_codes_doc.py > docs/codes.md)."""

from k351c.codes import tables as T

out: list[str] = []
w = out.append


def table(title: str, rows, head=("code", "meaning")) -> None:
    w(f"## {title}\n")
    w("| " + " | ".join(head) + " |")
    w("|" + " --- |" * len(head))
    for r in rows:
        w("| " + " | ".join(str(c) for c in r) + " |")
    w("")


def direction(d) -> str:
    return "-" if d is None else getattr(d, "name", str(d)).lower()


w("# Type number and configuration codes\n")
w("The data sheet's ordering number and configuration codes, as `k351c.codes` parses, validates and")
w("describes them (`k351c codes decode CODE`, `k351c codes encode FILE.toml`, `MeterConfig.from_codes`).")
w("The tables below are generated from `src/k351c/codes/tables.py` by `scripts/gen_codes_doc.py`.\n")
w("Decisions where the sheet is silent:\n")
w("- **E (integration period)** has no code digits in the sheet: we use 1/2/3/4 = 5/15/30/60 min.")
w("- **SSS (CT ratio)** is the primary current divided by 5 (001 = 5/5 A ... 600 = 3000/5 A).")
w("- **FFF** and the **000** tariff table are ids of the display and tariff tables of our configuration")
w("  file (`src/k351c/data/default.toml` holds 001/002 of each); tariff table 000 = tariff 1 only.")
w("- **DD** lists 27 rows (00-23, 26, 27, 28); a DD that does not fit the fitted module's lines is")
w("  allowed (modules can be retrofitted) and reported by `codes decode` as a note.")
w("- A wrong code raises `ConfigError` naming the position, the bad value and the allowed values.\n")
w("Default meter: `685-35BC423-070`, config 1 `3-1-000-00-2`, config 2 `001-01-01-1`,")
w("config 3 `00-0-01-0-00-001-001-01`, config 5 `000-001-1-1`.\n")
table("X1 phases", [(k, v.name) for k, v in T.PHASES.items()])
table("X2 current", list(T.CURRENTS.items()))
table("X3 class", list(T.CLASSES.items()))
table("X4 generation", list(T.GENERATIONS.items()))
table("X5 energy type", [(k, "/".join(v)) for k, v in T.ENERGY_TYPES.items()])
table("X6 hardware option", list(T.HARDWARE.items()))
table("X7 tariff", list(T.TARIFFS.items()))
table("X8-X10 country", [(k, f"{v.code} {v.name}") for k, v in T.COUNTRIES.items()])
table("Config 1 A: decimals (primary energy in kWh)", list(T.DECIMALS_TEXT.items()))
table("Config 1 B: LED", list(T.LED.items()))
table("Config 1 CCC: module", [(f"{k:03d}", v.name, direction(v.io1), direction(v.io2)) for k, v in T.MODULES.items()],
      ("code", "module", "I/O 1", "I/O 2"))
table("Config 1 DD: I/O lines", [(f"{k:02d}", v.name, v.io1.name.lower(), v.io2.name.lower())
                                 for k, v in T.IO_CONFIGS.items()], ("code", "function", "I/O 1", "I/O 2"))
table("Config 1 E: integration period (our numbering)", [(k, f"{v} min") for k, v in T.INTEGRATION_MINUTES.items()])
table("Config 2 GG: target date", [(f"{k:02d}", v) for k, v in T.TARGET_DAYS.items()])
table("Config 2 HH: debiting logging interval", [(f"{k:02d}", v) for k, v in T.DEBITING_TEXT.items()])
table("Config 2 I: pulse length / alarm input", list(T.PULSE_ALARM_TEXT.items()))
table("Config 3 LL: GMT offset", [(f"{k:02d}", v) for k, v in T.GMT_TEXT.items()])
table("Config 3 M: pulse output", list(T.PULSE_OUTPUT.items()))
table("Config 3 NN: pulse input unit", [(f"{k:02d}", v) for k, v in T.PULSE_INPUT_TEXT.items()])
table("Config 3 PPP: summer time", [(f"{k:03d}", v) for k, v in T.DST_TEXT.items()])
table("Config 3 QQ: load profile", [(f"{k:02d}", v) for k, v in T.LOAD_PROFILE.items()])
table("Config 5 RRR: RF code", [(f"{k:03d}", v) for k, v in T.RF_CODES.items()])
table("Config 5 SSS: CT ratio", [(f"{k:03d}", v) for k, v in T.CT_TEXT.items()])
table("Config 5 T: CT ratio lock", list(T.CT_LOCK.items()))
print("\n".join(out))
