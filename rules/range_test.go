package rules

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

func TestRangeHasRoomForLargeWorkflows(t *testing.T) {
	tests := []struct {
		args []int
		want []int64
	}{
		{[]int{3}, []int64{0, 1, 2}},
		{[]int{2, 5}, []int64{2, 3, 4}},
		{[]int{0, 10, 4}, []int64{0, 4, 8}},
		{[]int{5, 2}, []int64{5, 4, 3}},
		{[]int{0}, nil},
	}
	for _, tt := range tests {
		args := make([]cty.Value, len(tt.args))
		for i, a := range tt.args {
			args[i] = cty.NumberIntVal(int64(a))
		}
		v, err := rangeFunc.Call(args)
		if err != nil {
			t.Fatalf("range%v: %v", tt.args, err)
		}
		var got []int64
		for _, e := range v.AsValueSlice() {
			n, _ := e.AsBigFloat().Int64()
			got = append(got, n)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("range%v = %v, want %v", tt.args, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("range%v = %v, want %v", tt.args, got, tt.want)
			}
		}
	}
	v, err := rangeFunc.Call([]cty.Value{cty.NumberIntVal(100000)})
	if err != nil || v.LengthInt() != 100000 {
		t.Errorf("range(100000): %v", err)
	}
	if _, err := rangeFunc.Call([]cty.Value{cty.NumberIntVal(maxRange + 1)}); err == nil || !strings.Contains(err.Error(), "at most 1048576") {
		t.Errorf("range(maxRange+1): %v, want the limit named", err)
	}
	if _, err := rangeFunc.Call([]cty.Value{cty.NumberIntVal(0), cty.NumberIntVal(5), cty.NumberIntVal(-1)}); err == nil {
		t.Error("a step that never arrives should be an error")
	}
}

// expand formats numbers as cty's conversion to string does: whole
// numbers take a quicker way, the rest the conversion itself.
func TestExpandNumbers(t *testing.T) {
	values := []cty.Value{
		cty.NumberIntVal(0), cty.NumberIntVal(7), cty.NumberIntVal(-3),
		cty.NumberFloatVal(2.5), cty.NumberFloatVal(1e20), cty.NumberFloatVal(-0.125),
		cty.MustParseNumberVal("123456789012345678901234567890"),
	}
	var got []string
	if err := collectStrings(cty.TupleVal(values), &got); err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		want, err := convert.Convert(v, cty.String)
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != want.AsString() {
			t.Errorf("%#v became %q, cty says %q", v, got[i], want.AsString())
		}
	}
}
