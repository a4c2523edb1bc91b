package taqnyat_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

func TestOptInAndOutRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		call   func(c *taqnyat.Client, numbers ...string) error
		method string
	}{
		{"opt in", func(c *taqnyat.Client, n ...string) error { return c.OptIn(context.Background(), n...) }, http.MethodPost},
		{"opt out", func(c *taqnyat.Client, n ...string) error { return c.OptOut(context.Background(), n...) }, http.MethodDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, ""))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL + "/wa/v1/"})
			if err := tt.call(c, "+966501234567", "+255712345678"); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			req := f.Only(t)
			got := map[string]string{"method": req.Method, "path": req.Path,
				"Authorization": req.Header.Get("Authorization"), "Content-Type": req.Header.Get("Content-Type")}
			want := map[string]string{"method": tt.method, "path": "/wa/v1/provision/optin/",
				"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, `{"numbers":["966501234567","255712345678"]}`, req.Body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOptInSendsAtMostTwentyNumbersARequest(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"type":"Opt-In","statuses":[{"status":"success","state":"enable"}]}`))
	c := newClient(t, taqnyat.Config{BaseURL: f.URL})
	var numbers, first, second []string
	for i := range 25 {
		n := fmt.Sprintf("96650123%04d", i)
		numbers = append(numbers, "+"+n)
		if i < 20 {
			first = append(first, n)
		} else {
			second = append(second, n)
		}
	}
	if err := c.OptIn(context.Background(), numbers...); err != nil {
		t.Fatalf("OptIn: %v", err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, want := range [][]string{first, second} {
		body := fmt.Sprintf(`{"numbers":["%s"]}`, strings.Join(want, `","`))
		if diff := providertest.JSONDiff(t, body, reqs[i].Body); diff != "" {
			t.Errorf("request %d body (-want +got):\n%s", i, diff)
		}
	}
}

func TestOptInAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   *providertest.Outcome // nil: success
	}{
		{"200 empty", 200, "", nil},
		{"200 Opt-In report", 200, `{"type":"Opt-In","statuses":[{"status":"success","state":"enable"}]}`, nil},
		{"201 not JSON", 201, "OK", nil},
		{"401", 401, `{"message":"401","reason":"Unauthorized bot"}`,
			&providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 401}},
		{"400", 400, `{"message":"Validation error","reason":"Field [numbers] can not be empty."}`,
			&providertest.Outcome{Class: providers.Permanent, Code: "400", HTTPStatus: 400}},
		{"500", 500, "", &providertest.Outcome{Class: providers.Transient, Code: "500", HTTPStatus: 500}},
		{"failure report in a 200", 200, `{"type":"Opt-In","statuses":[{"status":"failure","state":"invalid_number","details":"bad"}]}`,
			&providertest.Outcome{Class: providers.Permanent, Code: "invalid_number", HTTPStatus: 200}},
		{"failed numbers in a 200", 200, `{"failedToOptInNumbers":[{"msisdn":"966501234567","rejectionReason":"blocked"}]}`,
			&providertest.Outcome{Class: providers.Permanent, Code: "failed_to_opt_in", HTTPStatus: 200}},
		{"error envelope in a 200", 200, `{"message":"401","reason":"Unauthorized"}`,
			&providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			err := c.OptIn(context.Background(), "+966501234567")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("OptIn: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("OptIn succeeded, want an error")
			}
			if diff := cmp.Diff(*tt.want, providertest.OutcomeOf(providertest.AsSendError(t, err))); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestOptInSaysHowFarItGot(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	f := providertest.NewFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			providertest.Respond(http.StatusOK, "")(w, r)
			return
		}
		providertest.Respond(http.StatusServiceUnavailable, "")(w, r)
	})
	c := newClient(t, taqnyat.Config{BaseURL: f.URL})
	numbers := make([]string, 25)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+96650123%04d", i)
	}
	err := c.OptIn(context.Background(), numbers...)
	if err == nil {
		t.Fatal("OptIn succeeded, want an error")
	}
	if se := providertest.AsSendError(t, err); se.Class != providers.Transient {
		t.Errorf("class %s, want transient", se.Class)
	}
	if !strings.Contains(err.Error(), "20 of 25") {
		t.Errorf("error %q does not say how many numbers were recorded", err)
	}
}

func TestOptInRefusesBadNumbers(t *testing.T) {
	t.Parallel()
	for _, numbers := range [][]string{nil, {"966501234567"}, {"+966501234567", "0501234567"}, {""}} {
		t.Run(fmt.Sprint(numbers), func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, ""))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			for _, call := range []func(context.Context, ...string) error{c.OptIn, c.OptOut} {
				err := call(context.Background(), numbers...)
				if err == nil {
					t.Fatal("no error")
				}
				if se := providertest.AsSendError(t, err); se.Class != providers.Permanent {
					t.Errorf("%q: class %s, want permanent", err, se.Class)
				}
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

func TestOptInErrorsNeverCarryTheToken(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusUnauthorized, `{"message":"401","reason":"bad token `+testToken+`"}`))
	c := newClient(t, taqnyat.Config{BaseURL: f.URL})
	err := c.OptOut(context.Background(), "+966501234567")
	if err == nil || containsToken(err.Error()) {
		t.Errorf("OptOut error = %v; want an error without the token", err)
	}
}
