package tujenge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

var _ providers.CallbackParser = (*Client)(nil)

// webhook is the on-premises WhatsApp Business API notification Tujenge
// forwards to the configured webhook: statuses of sent messages, and
// inbound messages with their contacts. One body may carry both.
type webhook struct {
	Statuses []struct {
		ID          string      `json:"id"`
		RecipientID string      `json:"recipient_id"`
		Status      string      `json:"status"`
		Timestamp   json.Number `json:"timestamp"`
		Errors      []apiError  `json:"errors"`
	} `json:"statuses"`
	Messages []inbound `json:"messages"`
	// Errors is a system-level notification (no message concerned).
	Errors []apiError `json:"errors"`
}

type inbound struct {
	From      string                 `json:"from"`
	ID        string                 `json:"id"`
	Timestamp json.Number            `json:"timestamp"`
	Type      string                 `json:"type"`
	Text      *struct{ Body string } `json:"text"`
	Image     *inboundMedia          `json:"image"`
	Video     *inboundMedia          `json:"video"`
	Audio     *inboundMedia          `json:"audio"`
	Voice     *inboundMedia          `json:"voice"`
	Document  *inboundMedia          `json:"document"`
	Sticker   *inboundMedia          `json:"sticker"`
	Location  *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	} `json:"location"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Interactive *struct {
		ButtonReply *struct{ ID, Title string } `json:"button_reply"`
		ListReply   *struct{ ID, Title string } `json:"list_reply"`
	} `json:"interactive"`
}

type inboundMedia struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// ParseCallback reads a Tujenge (on-premises WhatsApp Business API)
// notification. Status states map as: sent → sent, delivered → delivered,
// read → read, failed → failed with the first error's code; "deleted" (the
// user deleted the message on the phone) and unknown states carry no
// outcome and yield no event. Timestamps are Unix seconds.
func (c *Client) ParseCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	return parseCallback(body)
}

func parseCallback(body []byte) ([]providers.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, errors.New("tujenge callback: body is not a JSON object")
	}
	var w webhook
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("tujenge callback: %w", err)
	}
	var out []providers.Event
	for _, s := range w.Statuses {
		st, ok := statusOf(s.Status)
		if !ok || s.ID == "" {
			continue
		}
		ev := providers.Event{Kind: providers.EventStatus, ProviderMessageID: s.ID, Status: st, ProviderStatus: s.Status,
			Recipient: e164(s.RecipientID), Time: unixTime(s.Timestamp)}
		if st == message.Failed && len(s.Errors) > 0 {
			ev.ErrorCode = string(s.Errors[0].Code)
			ev.Error = strings.TrimSpace(strings.Join(append(s.Errors[0].Title, s.Errors[0].Details...), " "))
		}
		out = append(out, ev)
	}
	for _, m := range w.Messages {
		if m.From == "" {
			continue
		}
		ev := providers.Event{Kind: providers.EventInbound, InboundID: m.ID, From: e164(m.From), Time: unixTime(m.Timestamp)}
		media := func(k message.Kind, md *inboundMedia) {
			ev.MediaKind, ev.Text = k, md.Caption
			ev.MediaRef = md.ID
			if ev.MediaRef == "" {
				ev.MediaRef = md.Link
			}
		}
		switch {
		case m.Text != nil:
			ev.Text = m.Text.Body
		case m.Image != nil:
			media(message.KindImage, m.Image)
		case m.Video != nil:
			media(message.KindVideo, m.Video)
		case m.Audio != nil:
			media(message.KindAudio, m.Audio)
		case m.Voice != nil:
			media(message.KindAudio, m.Voice)
		case m.Document != nil:
			media(message.KindDocument, m.Document)
		case m.Sticker != nil:
			media(message.KindSticker, m.Sticker)
		case m.Location != nil:
			ev.MediaKind = message.KindLocation
			ev.Text = strings.TrimSpace(m.Location.Name + " " + m.Location.Address)
		case m.Button != nil:
			ev.Text = m.Button.Text
		case m.Interactive != nil && m.Interactive.ButtonReply != nil:
			ev.Text = m.Interactive.ButtonReply.Title
		case m.Interactive != nil && m.Interactive.ListReply != nil:
			ev.Text = m.Interactive.ListReply.Title
		}
		out = append(out, ev)
	}
	return out, nil
}

func statusOf(s string) (message.Status, bool) {
	switch strings.ToLower(s) {
	case "sent":
		return message.Sent, true
	case "delivered":
		return message.Delivered, true
	case "read":
		return message.Read, true
	case "failed":
		return message.Failed, true
	}
	return "", false
}

func e164(waID string) string {
	if waID == "" || strings.HasPrefix(waID, "+") {
		return waID
	}
	return "+" + waID
}

func unixTime(n json.Number) time.Time {
	s, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
