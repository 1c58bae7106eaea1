package rules

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestParseConfigValue pins --config values to what Snakemake 7.21 makes of
// them (recorded with snakemake -n --config ... printing repr(config[k])):
// int, float, True/False, YAML with string scalars, else the text.
func TestParseConfigValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // JSON of the value; "null" for null
	}{
		{"7", `7`},
		{"-3", `-3`},
		{"+4", `4`},
		{" 7", `7`},
		{"007", `7`},
		{"1_000", `1000`},
		{"123456789012345678901234567890", `123456789012345678901234567890`},
		{"1.5", `1.5`},
		{"1e3", `1000`},
		{".5", `0.5`},
		{"2.", `2`},
		{"True", `true`},
		{"False", `false`},
		{"true", `"true"`}, // Python's bool parser takes True/False only
		{"yes", `"yes"`},   // BaseLoader: no YAML 1.1 booleans
		{"null", `"null"`}, // nor nulls
		{"0x10", `"0x10"`}, // int() and float() take base 10 only
		{"1__0", `"1__0"`}, // one underscore between digits
		{"1_", `"1_"`},     //
		{"x", `"x"`},       //
		{"hello world", `"hello world"`},
		{"2024-01-01", `"2024-01-01"`},
		{"a/b.txt", `"a/b.txt"`},
		{`"7"`, `"7"`}, // YAML quotes are removed, the value stays text
		{"[c,d]", `["c","d"]`},
		{"[1, 2]", `["1","2"]`}, // BaseLoader keeps list items as text
		{"[]", `[]`},
		{"{a: 1, b: [x]}", `{"a":"1","b":["x"]}`},
		{"a: 1", `{"a":"1"}`},
		{"- x", `["x"]`},
		{"[1", `"[1"`}, // not YAML: the text
		{"", `null`},
	} {
		t.Run(c.in, func(t *testing.T) {
			v := ParseConfigValue(c.in)
			got := "null"
			if !v.IsNull() {
				got = jsonOf(t, v)
			}
			if got != c.want {
				t.Errorf("ParseConfigValue(%q) = %s, want %s", c.in, got, c.want)
			}
		})
	}
}

func TestParseConfigValueSpecialFloats(t *testing.T) {
	for in, want := range map[string]cty.Value{
		"inf":       cty.PositiveInfinity,
		"-Infinity": cty.NegativeInfinity,
		"nan":       cty.StringVal("nan"),
		"1e999":     cty.PositiveInfinity,
	} {
		if got := ParseConfigValue(in); !got.RawEquals(want) {
			t.Errorf("ParseConfigValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}
