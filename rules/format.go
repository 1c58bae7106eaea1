package rules

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src, a Rulefile (or an included file) named name, in
// canonical form: hclwrite's spacing, indentation and aligned "=" signs.
// Only layout changes; comments, heredocs and the order of everything are
// kept. A source with syntax errors, or one the loader would refuse (a
// binary file, bad UTF-8, past the size or nesting limits), is not
// formatted: Format returns nil and the diagnostics Load would give, so
// they read the same as the root command's.
func Format(src []byte, name string) ([]byte, hcl.Diagnostics) {
	// The same gates as Load's, in the same order: hclwrite would
	// otherwise reformat garbage, or recurse through 100,000 brackets.
	for _, check := range []func([]byte, string) *hcl.Diagnostic{binaryDiag, encodingDiag, checkLimits} {
		if d := check(src, name); d != nil {
			return nil, hcl.Diagnostics{d}
		}
	}
	if _, diags := parseHCL(src, name); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}
