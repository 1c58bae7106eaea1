package meta

import (
	"strings"
	"testing"
)

func TestParseTriggers(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Triggers
		wantErr string
	}{
		{"mtime,params,input,code", DefaultTriggers, ""},
		{"mtime,params,input,code,content", Triggers{true, true, true, true, true}, ""},
		{" content , MTIME ", Triggers{Mtime: true, Content: true}, ""},
		{"code", Triggers{Code: true}, ""},
		{"mtime,,code,", Triggers{Mtime: true, Code: true}, ""},
		{"mtime,checksum", Triggers{}, `unknown rerun trigger "checksum" (valid: mtime, params, input, code, content)`},
		{"", Triggers{}, "no rerun trigger given"},
		{" , ", Triggers{}, "no rerun trigger given"},
	} {
		got, err := ParseTriggers(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTriggers(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTriggers(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if back, err := ParseTriggers(got.String()); err != nil || back != got {
			t.Errorf("String round trip of %+v: %q", got, got.String())
		}
	}
}
