package wildcard

import (
	"errors"
	"testing"
)

// Fill must give what Parse followed by Substitute gives.
func TestFillAgreesWithSubstitute(t *testing.T) {
	values := map[string]string{"s": "a b", "n": "7", "x": "{weird}", "id": "042"}
	tests := []string{
		"plain/path.txt",
		"counts/{s}.txt",
		"{s}/{s}.txt",
		"{n,[0-9]+}/x_{s}",
		"lit{{eral}}/{x}",
		"{id,[0-9]{3}}.txt",
	}
	for _, pat := range tests {
		p, err := Parse(pat, nil)
		if err != nil {
			t.Fatalf("Parse(%q): %v", pat, err)
		}
		want, err := p.Substitute(values)
		if err != nil {
			t.Fatalf("Substitute(%q): %v", pat, err)
		}
		got, err := Fill(pat, values)
		if err != nil || got != want {
			t.Errorf("Fill(%q) = %q, %v; want %q", pat, got, err, want)
		}
	}
	var me *MissingError
	if _, err := Fill("a/{missing}", values); !errors.As(err, &me) || me.Name != "missing" {
		t.Errorf("missing value: %v", err)
	}
	var se *SyntaxError
	if _, err := Fill("a/{unclosed", values); !errors.As(err, &se) {
		t.Errorf("syntax error: %v", err)
	}
}
