package wildcard

import (
	"slices"
	"strings"
)

// Expand substitutes every combination of values into each pattern, like
// Snakemake's expand: patterns outermost, then the product over the wildcard
// names in order of first appearance in that pattern, the last varying
// fastest. Keys a pattern does not use are ignored (they add no duplicates);
// a name with no key is a *MissingError, and an empty list yields nothing
// for that pattern. "{{" and "}}" are literal braces, so "{{sample}}" yields
// "{sample}", a wildcard left for later. Inline constraints are syntax only
// here: values are not checked against them. The result is never nil.
func Expand(patterns []string, values map[string][]string) ([]string, error) {
	out := []string{}
	for _, pat := range patterns {
		toks, err := scan(pat)
		if err != nil {
			return nil, err
		}
		var names []string
		index := map[string]int{}
		for _, t := range toks {
			if !t.wild {
				continue
			}
			if _, seen := index[t.name]; seen {
				continue
			}
			if _, ok := values[t.name]; !ok {
				return nil, &MissingError{Pattern: pat, Name: t.name}
			}
			index[t.name] = len(names)
			names = append(names, t.name)
		}
		lists := make([][]string, len(names))
		for k, name := range names {
			lists[k] = values[name]
		}
		if empty(lists) {
			continue
		}
		// Room for this pattern's paths up front, and per token its list
		// (-1 for text): an aggregate expands over 10^5 or 10^6 values.
		n := 1
		for _, l := range lists {
			if n *= len(l); n > maxPresize {
				break
			}
		}
		out = slices.Grow(out, min(n, maxPresize))
		ks := make([]int, len(toks))
		for i, t := range toks {
			ks[i] = -1
			if t.wild {
				ks[i] = index[t.name]
			}
		}
		pos := make([]int, len(names)) // odometer over lists
		var buf []byte
		for {
			buf = buf[:0]
			for i, t := range toks {
				if k := ks[i]; k >= 0 {
					buf = append(buf, lists[k][pos[k]]...)
				} else {
					buf = append(buf, t.lit...)
				}
			}
			out = append(out, string(buf)) // one allocation, of its size
			k := len(pos) - 1
			for ; k >= 0; k-- {
				if pos[k]++; pos[k] < len(lists[k]) {
					break
				}
				pos[k] = 0
			}
			if k < 0 {
				break
			}
		}
	}
	return out, nil
}

// maxPresize bounds the room Expand makes ahead for one pattern's paths.
const maxPresize = 1 << 20

func empty(lists [][]string) bool {
	for _, l := range lists {
		if len(l) == 0 {
			return true
		}
	}
	return false
}

// Fill substitutes values into pattern like Parse(pattern, nil) followed
// by Substitute, without compiling the pattern's regular expression: it is
// the cheap path for making a job's concrete paths, which happens once per
// path per job. Syntax errors are *SyntaxError, a missing value a
// *MissingError.
func Fill(pattern string, values map[string]string) (string, error) {
	if !strings.ContainsAny(pattern, "{}") {
		return pattern, nil
	}
	toks, err := scan(pattern)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(pattern) + 16)
	for _, t := range toks {
		if !t.wild {
			b.WriteString(t.lit)
			continue
		}
		v, ok := values[t.name]
		if !ok {
			return "", &MissingError{Pattern: pattern, Name: t.name}
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
