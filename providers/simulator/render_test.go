package simulator_test

import (
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/taqnyat"
	"github.com/wabulk/wabulk/providers/tujenge"
)

// Every receipt RenderReceipt renders is one the kind's adapter reads as
// one event about that message, with distinct ids for distinct Seqs, and
// Meta's is signed.
func TestRenderReceiptIsReadByTheAdapter(t *testing.T) {
	t.Parallel()
	const secret = "app-s3cret"
	parsers := map[string]func() (providers.CallbackParser, error){
		"tujenge": func() (providers.CallbackParser, error) { return tujenge.New(tujenge.Config{APIKey: "k"}) },
		"taqnyat": func() (providers.CallbackParser, error) { return taqnyat.New(taqnyat.Config{Token: "k"}) },
		"modica": func() (providers.CallbackParser, error) {
			return modica.New(modica.Config{Username: "u", Password: "p"})
		},
		"decisiontelecom": func() (providers.CallbackParser, error) {
			return decisiontelecom.New(decisiontelecom.Config{APIKey: "k", Source: "wabulk"})
		},
		"meta": func() (providers.CallbackParser, error) {
			return meta.New(meta.Config{Token: "k", PhoneNumberID: "109876543210987", AppSecret: secret})
		},
	}
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for kind, newParser := range parsers {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p, err := newParser()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for seq := uint64(1); seq <= 3; seq++ {
				cb, ok, err := simulator.RenderReceipt(kind, simulator.Receipt{Nonce: "0A1B2C3D", Seq: seq,
					Recipient: "+255712345678", Status: "delivered", Time: at}, secret)
				if err != nil || !ok {
					t.Fatalf("RenderReceipt(seq %d) = %v, %v", seq, ok, err)
				}
				if seen[cb.MessageID] {
					t.Fatalf("seq %d repeats the id %s", seq, cb.MessageID)
				}
				seen[cb.MessageID] = true
				if cb.Header.Get("Content-Type") == "" {
					t.Errorf("no Content-Type: %v", cb.Header)
				}
				if kind == "meta" {
					if err := meta.VerifySignature(secret, cb.Body, cb.Header.Get(meta.SignatureHeader)); err != nil {
						t.Errorf("signature: %v", err)
					}
				}
				evs, err := p.ParseCallback(cb.Header, cb.Body)
				if err != nil {
					t.Fatalf("ParseCallback(%s): %v", cb.Body, err)
				}
				if len(evs) != 1 || evs[0].ProviderMessageID != cb.MessageID || evs[0].Status != message.Delivered {
					t.Errorf("events %+v from %s, want one delivered receipt of %s", evs, cb.Body, cb.MessageID)
				}
			}
		})
	}
}

func TestRenderReceiptRefuses(t *testing.T) {
	t.Parallel()
	if _, ok, err := simulator.RenderReceipt("socnet", simulator.Receipt{Seq: 1, Status: "delivered"}, ""); ok || err != nil {
		t.Errorf("socnet pushes no receipts: ok %v, err %v", ok, err)
	}
	if _, ok, err := simulator.RenderReceipt("modica", simulator.Receipt{Seq: 1, Status: "read"}, ""); ok || err != nil {
		t.Errorf("modica has no read receipt: ok %v, err %v", ok, err)
	}
	for name, r := range map[string]simulator.Receipt{
		"lower-case nonce": {Nonce: "0a1b2c3d", Seq: 1, Status: "sent"},
		"short nonce":      {Nonce: "0A1B", Seq: 1, Status: "sent"},
		"seq 0":            {Status: "sent"},
		"unknown status":   {Seq: 1, Status: "seen"},
	} {
		if _, _, err := simulator.RenderReceipt("tujenge", r, ""); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := simulator.RenderReceipt("twilio", simulator.Receipt{Seq: 1, Status: "sent"}, ""); err == nil {
		t.Error("an unknown kind: no error")
	}
	// The header map is the caller's: changing it leaves the next one alone.
	a, _, _ := simulator.RenderReceipt("tujenge", simulator.Receipt{Seq: 1, Status: "sent"}, "")
	a.Header.Set("X-Webhook-Secret", "s")
	b, _, _ := simulator.RenderReceipt("tujenge", simulator.Receipt{Seq: 2, Status: "sent"}, "")
	if b.Header.Get("X-Webhook-Secret") != "" {
		t.Errorf("headers shared between callbacks: %v", b.Header)
	}
}
