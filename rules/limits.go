package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Limits on a Rulefile, checked before HCL sees the source. HCL's parser
// and evaluator recurse once per nesting level and once per operator in a
// chain, and a Go stack overflow is a fatal error that no recover can
// catch: 100,000 parentheses, or a million minus signs, would kill the
// process with a goroutine dump. Real Rulefiles stay far below these.
const (
	// MaxRulefileSize is the largest file Load and Parse read.
	MaxRulefileSize = 16 << 20
	// MaxNesting bounds open brackets, braces, parentheses, strings,
	// interpolations and template directives at any point.
	MaxNesting = 256
	// MaxOperators bounds the operators (unary, binary, conditional, index
	// and attribute steps) chained in the open expressions at any point.
	MaxOperators = 4096
)

// scanFrame is one open construct of the pre-scan: a bracket ('(', '[',
// '{'), an interpolation or directive sequence ('i', ending at its '}'), a
// quoted string ('"'), a heredoc ('h') or an open %{if}/%{for} ('d').
type scanFrame struct {
	kind   byte
	marker []byte // heredoc closing marker
	bol    bool   // heredoc: at the start of a line
	ops    int    // operators chained in this frame's current item
}

// limitScan is the state of checkLimits' pass over the source. It follows
// the modes of HCL's own scanner (code, quoted string, heredoc) so that a
// bracket inside a string or comment is not counted, and counts every
// construct HCL's parser would recurse on.
type limitScan struct {
	src   []byte
	stack []scanFrame
	top   scanFrame // the file's top level, never popped
	ops   int       // operators in all open frames
}

// checkLimits returns a diagnostic when src is too large or nested too
// deeply for the parser, else nil.
func checkLimits(src []byte, filename string) *hcl.Diagnostic {
	if len(src) > MaxRulefileSize {
		return sizeDiag(filename, int64(len(src)))
	}
	s := &limitScan{src: src}
	at, what := s.run()
	if at < 0 {
		return nil
	}
	start := posAt(src, at)
	end := start
	_, size := utf8.DecodeRune(src[at:])
	end.Byte += size
	end.Column++
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Subject:  &hcl.Range{Filename: filename, Start: start, End: end},
	}
	if what == "char" {
		d.Summary, d.Detail, _ = invalidInCode(src[at])
		return d
	}
	if what == "nesting" {
		d.Summary = "Expression nested too deeply"
		d.Detail = fmt.Sprintf("Here brackets, braces, parentheses, strings and template directives are nested more than %d levels deep; flowmake allows %d. Flatten the expression: build parts of it in config, or split it over several attributes.", MaxNesting, MaxNesting)
	} else {
		d.Summary = "Expression too long"
		d.Detail = fmt.Sprintf("Here more than %d operators are chained in one expression; flowmake allows %d. Split the expression, or compute the value outside the Rulefile and read it with --configfile.", MaxOperators, MaxOperators)
	}
	return d
}

// invalidInCode says whether byte c can never stand outside strings and
// comments, and then what HCL says of it, word for word. The pre-scan
// stops at the first one: HCL would go on and make a token and an error
// for every such byte, so a file of garbage took seconds and gigabytes
// before its first error was shown.
func invalidInCode(c byte) (summary, detail string, bad bool) {
	switch {
	case c == '`':
		return "Invalid character", "The \"`\" character is not valid. To create a multi-line string, use the \"heredoc\" syntax, like \"<<EOT\".", true
	case c == ';':
		return "Invalid character", "The \";\" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.", true
	case c == '^':
		return "Unsupported operator", "Bitwise operators are not supported.", true
	case c == '@' || c == '\\' || c == 0x7f || c < 0x20 && c != '\t' && c != '\n' && c != '\r':
		return "Invalid character", "This character is not used within the language.", true
	}
	return "", "", false
}

// sizeDiag reports a Rulefile over MaxRulefileSize.
func sizeDiag(filename string, size int64) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Rulefile too large",
		Detail:   fmt.Sprintf("%s is %s; flowmake reads Rulefiles of at most %s. Keep large data (sample lists, tables) in a file the workflow reads, e.g. with --configfile.", filename, mib(size), mib(MaxRulefileSize)),
		Subject:  &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
	}
}

func mib(n int64) string {
	if n > MaxRulefileSize {
		// Never round a too-large size down to the limit.
		return fmt.Sprintf("more than %d MiB", MaxRulefileSize>>20)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// posAt converts a byte offset into an HCL position; columns count runes.
// encodingDiag returns an error at the first byte of src that is not
// UTF-8. HCL reports most such bytes itself, but it reads a lead byte and
// the two bytes after it as one letter of a name, so "x = \xe7(" parses,
// and the limit pre-scan, which reads bytes, would disagree with it about
// where strings and brackets are.
func encodingDiag(src []byte, name string) *hcl.Diagnostic {
	if utf8.Valid(src) {
		return nil
	}
	off := 0
	for off < len(src) {
		r, size := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return byteDiag(src, name, off, "Invalid character encoding",
		fmt.Sprintf("%s is not UTF-8 at byte %d: a Rulefile is HCL text in UTF-8. Save it as UTF-8 in your editor.", name, off))
}

// byteDiag is an error about the one byte of src at offset at.
func byteDiag(src []byte, name string, at int, summary, detail string) *hcl.Diagnostic {
	pos := posAt(src, at)
	end := pos
	end.Byte++
	end.Column++
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  &hcl.Range{Filename: name, Start: pos, End: end},
	}
}

func posAt(src []byte, off int) hcl.Pos {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	bol := bytes.LastIndexByte(src[:off], '\n') + 1
	return posOnLine(src, bol, line, off)
}

func (s *limitScan) cur() *scanFrame {
	if len(s.stack) == 0 {
		return &s.top
	}
	return &s.stack[len(s.stack)-1]
}

// mode is the kind of the innermost frame that decides how bytes are read:
// '"' (quoted string), 'h' (heredoc) or 0 (code). An open directive is
// template text of the string or heredoc around it.
func (s *limitScan) mode() (byte, *scanFrame) {
	for i := len(s.stack) - 1; i >= 0; i-- {
		switch s.stack[i].kind {
		case '"', 'h':
			return s.stack[i].kind, &s.stack[i]
		case 'd':
		default:
			return 0, nil
		}
	}
	return 0, nil
}

// push opens a frame; it returns false when that breaks a limit. Opening a
// frame in an expression is one more step of the enclosing chain too (a
// call, an index, a list element).
func (s *limitScan) push(f scanFrame) bool {
	if !s.op() {
		return false
	}
	s.stack = append(s.stack, f)
	return len(s.stack) <= MaxNesting
}

// op counts one operator in the current frame.
func (s *limitScan) op() bool {
	s.cur().ops++
	s.ops++
	return s.ops <= MaxOperators
}

// reset ends the current frame's item (at a comma or an item's newline):
// the operators before it are not part of what follows.
func (s *limitScan) reset() {
	f := s.cur()
	s.ops -= f.ops
	f.ops = 0
}

// popThrough closes frames down to and including the innermost frame of
// one of kinds, if there is one.
func (s *limitScan) popThrough(kinds string) {
	for i := len(s.stack) - 1; i >= 0; i-- {
		if bytes.IndexByte([]byte(kinds), s.stack[i].kind) >= 0 {
			for _, f := range s.stack[i:] {
				s.ops -= f.ops
			}
			s.stack = s.stack[:i]
			return
		}
	}
}

// run scans the source and returns the offset where a limit was broken and
// which ("nesting" or "operators"), or -1.
func (s *limitScan) run() (int, string) {
	src := s.src
	fail := func(at int) (int, string) {
		if len(s.stack) > MaxNesting {
			return at, "nesting"
		}
		return at, "operators"
	}
	for i := 0; i < len(src); {
		c := src[i]
		mode, tf := s.mode()
		if mode != 0 {
			// Template text: a quoted string or a heredoc.
			if mode == 'h' && tf.bol {
				tf.bol = false
				end := bytes.IndexByte(src[i:], '\n')
				if end >= 0 && bytes.Equal(bytes.TrimSpace(src[i:i+end]), tf.marker) {
					s.popThrough("h")
					i += end // the newline is the code's again
					continue
				}
			}
			switch {
			case mode == '"' && c == '\\':
				i += 2
			case mode == '"' && c == '"':
				s.popThrough(`"`)
				i++
			case mode == 'h' && c == '\n':
				tf.bol = true
				i++
			case (c == '$' || c == '%') && i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
				i += 3 // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if c == '%' {
					switch directive(src[i+2:]) {
					case "if", "for":
						if !s.push(scanFrame{kind: 'd'}) {
							return fail(i)
						}
					case "endif", "endfor":
						if s.cur().kind == 'd' {
							s.popThrough("d")
						}
					}
				}
				if !s.push(scanFrame{kind: 'i'}) {
					return fail(i)
				}
				i += 2
			default:
				i++
			}
			continue
		}
		if _, _, bad := invalidInCode(c); bad {
			return i, "char"
		}
		switch {
		case c == '#' || (c == '/' && i+1 < len(src) && src[i+1] == '/'):
			if n := bytes.IndexByte(src[i:], '\n'); n >= 0 {
				i += n
			} else {
				i = len(src)
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			if n := bytes.Index(src[i+2:], []byte("*/")); n >= 0 {
				i += n + 4
			} else {
				i = len(src)
			}
		case c == '"':
			if !s.push(scanFrame{kind: '"'}) {
				return fail(i)
			}
			i++
		case c == '<' && i+1 < len(src) && src[i+1] == '<':
			if m, n := heredocStart(src[i:]); n > 0 {
				if !s.push(scanFrame{kind: 'h', marker: m, bol: true}) {
					return fail(i)
				}
				i += n
			} else {
				i += 2
			}
		case c == '(' || c == '[' || c == '{':
			if !s.push(scanFrame{kind: c}) {
				return fail(i)
			}
			i++
		case c == ')' || c == ']':
			// A mismatched closer is a syntax error HCL reports; leaving
			// the frame open can only overcount.
			if k := s.cur().kind; k == '(' && c == ')' || k == '[' && c == ']' {
				s.popThrough(string(k))
			}
			i++
		case c == '}' || (c == '~' && i+1 < len(src) && src[i+1] == '}'):
			// As in HCL's scanner, a closing brace ends the innermost
			// open brace or interpolation, whatever is open inside it.
			s.popThrough("{i")
			if c == '~' {
				i++
			}
			i++
		case c == ',':
			s.reset()
			i++
		case c == '\n':
			if k := s.cur().kind; k == 0 || k == '{' {
				s.reset()
			}
			i++
		case isIdentByte(c):
			// An identifier is one token, '-' included ("a-1" is a name).
			for i++; i < len(src) && (isIdentByte(src[i]) || isDigit(src[i]) || src[i] == '-'); i++ {
			}
		case isDigit(c):
			// A number, exponent sign included ("1e-3").
			for i++; i < len(src); i++ {
				if src[i] == 'e' || src[i] == 'E' {
					if i+1 < len(src) && (src[i+1] == '+' || src[i+1] == '-') {
						i++
					}
				} else if !isDigit(src[i]) && src[i] != '.' {
					break
				}
			}
		case bytes.IndexByte([]byte("+-*/%!<>=&|?:."), c) >= 0:
			if !s.op() {
				return fail(i)
			}
			i++
		default:
			i++
		}
	}
	return -1, ""
}

// directive returns the keyword of a template directive whose "%{" came
// just before b: "if", "for", "endif", ... or "".
func directive(b []byte) string {
	b = bytes.TrimLeft(b, "~ \t")
	n := 0
	for n < len(b) && b[n] >= 'a' && b[n] <= 'z' {
		n++
	}
	return string(b[:n])
}

// heredocStart matches "<<ID\n" or "<<-ID\n" (or \r\n) at the start of b,
// returning the marker and the length of the introducer, or 0.
func heredocStart(b []byte) ([]byte, int) {
	i := 2
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	if i >= len(b) || !isIdentByte(b[i]) {
		return nil, 0
	}
	for i < len(b) && (isIdentByte(b[i]) || b[i] == '-' || b[i] >= '0' && b[i] <= '9') {
		i++
	}
	m := b[start:i]
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return nil, 0
	}
	return m, i + 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentByte reports whether c can start an identifier; bytes of
// multi-byte UTF-8 characters count, as most of them are letters.
func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

var errTooLarge = errors.New("file too large")

// readLimited reads a file of at most MaxRulefileSize bytes without reading
// more than one byte past the limit (a Rulefile could be /dev/zero).
func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxRulefileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxRulefileSize {
		return nil, errTooLarge
	}
	return src, nil
}

// shortLine reports whether the line holding offset off is short enough to
// quote in a diagnostic.
func shortLine(src []byte, off int) bool {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src) - off
	}
	return off+end-start <= 200
}
