package meta

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func TestCodeHash(t *testing.T) {
	// Stored hashes outlive a flowmake version: the function must not change.
	if got := CodeHash(""); got != "ef46db3751d8e999" {
		t.Errorf(`CodeHash("") = %s`, got)
	}
	if CodeHash("echo a") == CodeHash("echo b") {
		t.Error("different commands hash alike")
	}
}

func TestParamsHash(t *testing.T) {
	obj := func(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }
	base := obj(map[string]cty.Value{"min": cty.NumberIntVal(3), "flags": cty.StringVal("-a -b")})
	for _, tc := range []struct {
		name string
		v    cty.Value
		same bool // hashes like base
	}{
		{"itself", base, true},
		{"3.0 is 3", obj(map[string]cty.Value{"min": cty.NumberFloatVal(3.0), "flags": cty.StringVal("-a -b")}), true},
		{"map instead of object", cty.MapVal(map[string]cty.Value{"min": cty.StringVal("3"), "flags": cty.StringVal("-a -b")}), false},
		{"changed value", obj(map[string]cty.Value{"min": cty.NumberIntVal(4), "flags": cty.StringVal("-a -b")}), false},
		{"extra key", obj(map[string]cty.Value{"min": cty.NumberIntVal(3), "flags": cty.StringVal("-a -b"), "x": cty.True}), false},
		{"marked", base.Mark("sensitive"), true},
		{"deeply marked", obj(map[string]cty.Value{"min": cty.NumberIntVal(3).Mark(1), "flags": cty.StringVal("-a -b")}), true},
		{"unknown", obj(map[string]cty.Value{"min": cty.UnknownVal(cty.Number), "flags": cty.StringVal("-a -b")}), false},
		{"null", cty.NullVal(cty.DynamicPseudoType), false},
		{"nil value", cty.NilVal, false},
		{"empty", cty.EmptyObjectVal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParamsHash(tc.v) // must not panic
			if len(got) != 16 {
				t.Errorf("hash %q", got)
			}
			if (got == ParamsHash(base)) != tc.same {
				t.Errorf("same as base = %v, want %v", !tc.same, tc.same)
			}
		})
	}
	if ParamsHash(cty.UnknownVal(cty.Number)) != ParamsHash(cty.UnknownVal(cty.Number)) {
		t.Error("unknown values hash unstably")
	}
}

// writeOld writes a file and dates it back, out of the racy window.
func writeOld(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, []byte(content), 0o644))
	must(t, os.Chtimes(path, mtime, mtime))
}

func TestHashFileCache(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".flowmake")
	s, err := Open(dir, OpenOptions{})
	must(t, err)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	writeOld(t, filepath.Join(root, "data/a.txt"), "hello", old)

	h1, err := s.HashFile("data/a.txt") // relative to root, not to the process
	must(t, err)
	if h1.Size != 5 || !h1.ModTime.Equal(old) || h1.Sum != CodeHash("hello") {
		t.Fatalf("HashFile = %+v", h1)
	}
	// Same size and mtime, other content: the cache answers, proving the
	// file was not read again.
	writeOld(t, filepath.Join(root, "data/a.txt"), "HELLO", old)
	if h, _ := s.HashFile("data/./a.txt"); h.Sum != h1.Sum {
		t.Errorf("cache missed: %+v", h)
	}
	must(t, s.Close()) // writes the cache

	s = openStore(t, dir, OpenOptions{ReadOnly: true})
	if h, _ := s.HashFile("data/a.txt"); h.Sum != h1.Sum {
		t.Errorf("cache not persisted: %+v", h)
	}
	// A new mtime misses the cache.
	writeOld(t, filepath.Join(root, "data/a.txt"), "HELLO", old.Add(time.Second))
	if h, _ := s.HashFile("data/a.txt"); h.Sum != CodeHash("HELLO") {
		t.Errorf("stale hash after a change: %+v", h)
	}
}

func TestHashFileRacyWindow(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, filepath.Join(root, ".flowmake"), OpenOptions{})
	p := filepath.Join(root, "fresh")
	must(t, os.WriteFile(p, []byte("one"), 0o644))
	fi, _ := os.Stat(p)
	if _, err := s.HashFile(p); err != nil {
		t.Fatal(err)
	}
	// Rewritten within the same mtime tick: must not be served from cache.
	must(t, os.WriteFile(p, []byte("two"), 0o644))
	must(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
	if h, _ := s.HashFile(p); h.Sum != CodeHash("two") {
		t.Errorf("a file younger than %v was cached", racyWindow)
	}
}

func TestHashFileErrors(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, filepath.Join(root, ".flowmake"), OpenOptions{})
	must(t, os.Mkdir(filepath.Join(root, "d"), 0o755))
	if _, err := s.HashFile("d"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := s.HashFile("missing"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "hash "+filepath.Join(root, "missing")) {
		t.Errorf("missing: %v", err)
	}
	writeOld(t, filepath.Join(root, "f"), "x", time.Now().Add(-time.Hour))
	got := s.HashInputs(root, []string{"f", "d", "missing"})
	if len(got) != 1 || got["f"].Sum != CodeHash("x") {
		t.Errorf("HashInputs = %+v", got)
	}
}

func TestHashFileLarge(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, filepath.Join(root, ".flowmake"), OpenOptions{})
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB, more than one buffer
	writeOld(t, filepath.Join(root, "big"), big, time.Now().Add(-time.Hour))
	h, err := s.HashFile("big")
	if err != nil || h.Sum != CodeHash(big) || h.Size != int64(len(big)) {
		t.Errorf("%+v %v", h, err)
	}
}

func TestAppendJSONMatchesCty(t *testing.T) {
	str := cty.StringVal
	num := cty.NumberIntVal
	for _, tc := range []struct {
		v    cty.Value
		fast bool // the fast path must take it
	}{
		{cty.ObjectVal(map[string]cty.Value{"min": num(3), "flags": str("-a -b"), "on": cty.True}), true},
		{cty.EmptyObjectVal, true},
		{cty.MapVal(map[string]cty.Value{"b": str("x"), "a": str("y"), "ü": str("z")}), true},
		{cty.ListVal([]cty.Value{num(1), num(-2), num(0)}), true},
		{cty.SetVal([]cty.Value{str("b"), str("a"), str("c")}), true},
		{cty.TupleVal([]cty.Value{str("a"), num(1), cty.False, cty.NullVal(cty.String)}), true},
		{cty.ListValEmpty(cty.String), true},
		{cty.NullVal(cty.Map(cty.String)), true},
		{str(`quote " backslash \ <tag> & amp`), true},
		{str("tab\tnewline\nbell\x07 unicode é 日本 \u2028 invalid \xff"), true},
		{num(math.MaxInt64), true},
		{num(math.MinInt64), true},
		{cty.NumberFloatVal(3.5), false},
		{cty.NumberFloatVal(1e20), false},
		{cty.NumberFloatVal(math.Copysign(0, -1)), false},
		{cty.MustParseNumberVal("123456789012345678901234567890"), false},
		{cty.ObjectVal(map[string]cty.Value{"x": cty.NumberFloatVal(0.1), "y": num(2)}), false},
		{cty.ObjectVal(map[string]cty.Value{"d": cty.NullVal(cty.DynamicPseudoType)}), false},
		{cty.ObjectVal(map[string]cty.Value{"nested": cty.ObjectVal(map[string]cty.Value{"l": cty.ListVal([]cty.Value{str("<&>")})})}), true},
	} {
		got, ok := appendJSON(nil, tc.v)
		if tc.fast && !ok {
			t.Errorf("%#v: fast path refused", tc.v)
		}
		if !ok {
			continue
		}
		want, err := ctyjson.Marshal(tc.v, tc.v.Type())
		if err != nil {
			t.Fatalf("%#v: %v", tc.v, err)
		}
		if string(got) != string(want) {
			t.Errorf("%#v:\nfast %s\ncty  %s", tc.v, got, want)
		}
	}
}

func TestAppendJSONMarked(t *testing.T) {
	plain := cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "l": cty.ListVal([]cty.Value{cty.NumberIntVal(1)})})
	marked := cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x").Mark("path"), "l": cty.ListVal([]cty.Value{cty.NumberIntVal(1).Mark(2)})}).Mark(3)
	p, ok1 := appendJSON(nil, plain)
	m, ok2 := appendJSON(nil, marked)
	if !ok1 || !ok2 || string(p) != string(m) {
		t.Errorf("plain %s %v, marked %s %v", p, ok1, m, ok2)
	}
}

// oldParamsHash is ParamsHash before the shortcut for empty params.
func oldParamsHash(params cty.Value) (h string) {
	defer func() {
		if p := recover(); p != nil {
			h = CodeHash("params: invalid: " + fmt.Sprint(p))
		}
	}()
	if params.Type() == cty.NilType {
		return CodeHash("params: none")
	}
	if b, ok := appendJSON(nil, params); ok {
		return sum64(xxhash.Sum64(b))
	}
	v, _ := params.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return CodeHash("params: unknown " + v.Type().FriendlyName())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return CodeHash("params: invalid: " + err.Error())
	}
	return sum64(xxhash.Sum64(b))
}

func TestParamsHashEmpty(t *testing.T) {
	for _, v := range []cty.Value{
		cty.EmptyObjectVal,
		cty.ObjectVal(map[string]cty.Value{}),
		cty.EmptyObjectVal.Mark("sensitive"),
		cty.NullVal(cty.EmptyObject),
		cty.UnknownVal(cty.EmptyObject),
		cty.UnknownVal(cty.EmptyObject).Mark(1),
		cty.MapValEmpty(cty.String),
		cty.EmptyTupleVal,
		cty.NilVal,
		cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1)}),
	} {
		if got, want := ParamsHash(v), oldParamsHash(v); got != want {
			t.Errorf("ParamsHash(%#v) = %s, was %s", v, got, want)
		}
	}
	if ParamsHash(cty.EmptyObjectVal) != CodeHash("{}") {
		t.Error("empty params do not hash as {}")
	}
}
