package rules

import (
	"math"
	"math/big"
	"regexp"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The shortcuts taken for speed must answer exactly as what they stand in
// for.

func TestToStringAsCty(t *testing.T) {
	bigf := func(s string, prec uint) cty.Value {
		f, _, err := big.ParseFloat(s, 10, prec, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		return cty.NumberVal(f)
	}
	negZero := new(big.Float).SetPrec(64).Neg(new(big.Float).SetPrec(64))
	vals := []cty.Value{
		cty.NumberIntVal(0), cty.NumberIntVal(7), cty.NumberIntVal(-7), cty.NumberIntVal(33332),
		cty.NumberIntVal(1 << 53), cty.NumberIntVal(1<<53 + 1), cty.NumberIntVal(-(1 << 53)), cty.NumberIntVal(-(1<<53 + 1)),
		cty.NumberIntVal(math.MaxInt64), cty.NumberIntVal(math.MinInt64),
		cty.NumberFloatVal(0), cty.NumberFloatVal(12345), cty.NumberFloatVal(1 << 60), cty.NumberFloatVal(1e20),
		cty.NumberFloatVal(2.5), cty.NumberFloatVal(-0.1), cty.NumberFloatVal(math.Copysign(0, -1)),
		cty.NumberVal(negZero), bigf("1099511627776", 1), bigf("1099511627776", 40), bigf("12345", 14),
		bigf("123456789012345678901234567890", 512), bigf("9007199254740993", 512), bigf("100", 512),
		cty.MustParseNumberVal("42"), cty.MustParseNumberVal("4.20"), cty.MustParseNumberVal("-3"),
		cty.NumberIntVal(5).Mark(markPath),
		cty.StringVal("x"), cty.True, cty.NullVal(cty.Number), cty.NullVal(cty.String),
		cty.UnknownVal(cty.Number), cty.DynamicVal, cty.ListValEmpty(cty.String),
		cty.TupleVal([]cty.Value{cty.NumberIntVal(1)}), cty.EmptyObjectVal,
	}
	for _, v := range vals {
		got, gotErr := toStringFunc.Call([]cty.Value{v})
		want, wantErr := toStringStd.Call([]cty.Value{v})
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Errorf("tostring(%#v): error %v, want %v", v, gotErr, wantErr)
			continue
		}
		if gotErr == nil && !got.RawEquals(want) {
			t.Errorf("tostring(%#v) = %#v, want %#v", v, got, want)
		}
		gotTy, gotErr := toStringFunc.ReturnTypeForValues([]cty.Value{v})
		wantTy, wantErr := toStringStd.ReturnTypeForValues([]cty.Value{v})
		if !gotTy.Equals(wantTy) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("tostring(%#v) type %#v, %v; want %#v, %v", v, gotTy, gotErr, wantTy, wantErr)
		}
	}
	for i := int64(-70000); i <= 70000; i++ {
		v := cty.NumberIntVal(i)
		if i%2 == 0 {
			v = cty.NumberFloatVal(float64(i))
		}
		got, _ := toStringFunc.Call([]cty.Value{v})
		want, _ := toStringStd.Call([]cty.Value{v})
		if !got.RawEquals(want) {
			t.Fatalf("tostring(%d) = %#v, want %#v", i, got, want)
		}
	}
}

func TestBareWordAsRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)
	words := []string{"", "a", "data/a.txt", "a b", "it's", "$(x)", "ünï", "a\n", "-x", "@%+=:,./-_", "a\x00", "\xff"}
	for c := 0; c < 256; c++ {
		words = append(words, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, w := range words {
		if got, want := bareWord(w), re.MatchString(w); got != want {
			t.Errorf("bareWord(%q) = %v, want %v", w, got, want)
		}
	}
}
