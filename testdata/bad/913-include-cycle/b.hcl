include = ["Rulefile"]   # want: Include cycle
