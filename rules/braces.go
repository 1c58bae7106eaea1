package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// snakemakeRef finds a Snakemake-style reference written in single braces,
// {input}, {input[0]}, {output.bam}, {wildcards.sample}, {config[x]},
// {threads:d}: text Snakemake fills in and HCL leaves as it is, so the
// command would run with the braces in it. Only the names Snakemake's shell
// formatter knows count, followed by .name or [key] steps and an optional
// format spec; so awk's {print $1}, bash's {a,b} and find's {} never match.
// A brace after $ (bash's ${input}, written $${input}) or after another
// brace (Snakemake's {{input}} escape) is left alone.
var snakemakeRef = regexp.MustCompile(`\{(input|output|params|wildcards|threads|resources|log|config|rule|benchmark)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[[^\[\]{}]*\])*)(?::[^{}]*)?\}`)

// checkSnakemakeBraces reports Snakemake-style references in the literal
// text of a shell or message template, with the HCL form as the fix.
// Text inside an interpolation is data, not template: ${"{input}"} is how
// a literal {input} is written, and %{ if } / %{ for } bodies are template
// text, checked like the rest.
func (l *loader) checkSnakemakeBraces(attr *hcl.Attribute) {
	src := l.wf.sources[attr.Expr.Range().Filename]
	if src == nil {
		return
	}
	l.walkTemplateText(attr, src.Bytes, attr.Expr)
}

func (l *loader) walkTemplateText(attr *hcl.Attribute, src []byte, expr hcl.Expression) {
	switch x := expr.(type) {
	case *hclsyntax.TemplateExpr:
		for _, part := range x.Parts {
			switch p := part.(type) {
			case *hclsyntax.LiteralValueExpr:
				l.checkLiteralBraces(attr, src, p)
			case *hclsyntax.ConditionalExpr, *hclsyntax.TemplateJoinExpr:
				// A directive's range starts at its %{; an interpolation's
				// at the expression inside ${ }.
				if isDirective(src, part.Range()) {
					l.walkDirective(attr, src, part)
				}
			}
		}
	}
}

func (l *loader) walkDirective(attr *hcl.Attribute, src []byte, part hclsyntax.Expression) {
	switch p := part.(type) {
	case *hclsyntax.ConditionalExpr:
		l.walkTemplateText(attr, src, p.TrueResult)
		l.walkTemplateText(attr, src, p.FalseResult)
	case *hclsyntax.TemplateJoinExpr:
		if f, ok := p.Tuple.(*hclsyntax.ForExpr); ok {
			l.walkTemplateText(attr, src, f.ValExpr)
		}
	}
}

func isDirective(src []byte, rng hcl.Range) bool {
	s := rng.Start.Byte
	return s >= 0 && s+2 <= len(src) && src[s] == '%' && src[s+1] == '{'
}

func (l *loader) checkLiteralBraces(attr *hcl.Attribute, src []byte, lit *hclsyntax.LiteralValueExpr) {
	if lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.String {
		return
	}
	text := lit.Val.AsString()
	for _, m := range snakemakeRef.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > 0 && (text[m[0]-1] == '$' || text[m[0]-1] == '{') {
			continue
		}
		ref := text[m[0]:m[1]]
		fix := hclForm(text[m[2]:m[3]], text[m[4]:m[5]])
		rng := narrowRange(src, lit.SrcRange, ref)
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Snakemake-style reference in " + attr.Name,
			Detail: fmt.Sprintf("%s is Snakemake's syntax, which HCL leaves as written. In a Rulefile write %s. "+
				"For the literal text %s, write ${%q}.", ref, fix, ref, ref),
			Subject: &rng,
		})
	}
}

// hclForm turns the name and steps of a Snakemake reference into HCL's
// interpolation: {input[0]} ${input[0]}, {config[samples]} ${config.samples}.
// A format spec (:q) is dropped: flowmake quotes file names itself.
func hclForm(name, steps string) string {
	var b strings.Builder
	b.WriteString("${")
	b.WriteString(name)
	for steps != "" {
		if steps[0] == '.' {
			end := strings.IndexAny(steps[1:], ".[")
			if end < 0 {
				end = len(steps) - 1
			}
			b.WriteString(steps[:end+1])
			steps = steps[end+1:]
			continue
		}
		end := strings.IndexByte(steps, ']')
		key := strings.Trim(steps[1:end], `"' `)
		switch {
		case key != "" && strings.Trim(key, "0123456789") == "":
			b.WriteString("[" + key + "]")
		case hclsyntax.ValidIdentifier(key):
			b.WriteString("." + key)
		default:
			b.WriteString(fmt.Sprintf("[%q]", key))
		}
		steps = steps[end+1:]
	}
	b.WriteString("}")
	return b.String()
}

// narrowRange is the range of needle within rng, found in the source; rng
// itself when the source spells it differently (escapes).
func narrowRange(src []byte, rng hcl.Range, needle string) hcl.Range {
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return rng
	}
	i := bytes.Index(src[rng.Start.Byte:rng.End.Byte], []byte(needle))
	if i < 0 {
		return rng
	}
	start := rng.Start
	for _, c := range string(src[rng.Start.Byte : rng.Start.Byte+i]) {
		start.Byte += utf8.RuneLen(c)
		if c == '\n' {
			start.Line++
			start.Column = 1
		} else {
			start.Column++ // columns count runes, as HCL's do
		}
	}
	end := start
	end.Byte += len(needle)
	end.Column += utf8.RuneCountInString(needle) // needles hold no newline
	return hcl.Range{Filename: rng.Filename, Start: start, End: end}
}
