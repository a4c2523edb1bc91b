package console

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/wabulk/wabulk/store"
)

// The chart's colours and its most points.
const (
	maxChartPoints           = 240
	chartOK, chartFail, grid = "#1a7f37", "#c62828", "#d0d7de"
)

// chartBox is the chart's drawing area in SVG units (it scales to its
// box): wide for a desktop, narrow with larger text for a phone.
type chartBox struct{ w, h, left, right, top, bottom, font int }

var (
	wideChart   = chartBox{w: 960, h: 300, left: 56, right: 12, top: 28, bottom: 40, font: 12}
	narrowChart = chartBox{w: 480, h: 320, left: 64, right: 14, top: 36, bottom: 52, font: 18}
)

// Chart draws a campaign's outcome series (store.SeriesPoint, 10-second
// buckets) as outcomes per second over its life: one line of successful
// outcomes, one of failures, with time and rate axes. Buckets without an
// outcome count as zero; a long life is drawn in wider buckets. It holds
// numbers only, nothing from a campaign's data. narrow draws it for a
// phone's width.
func Chart(pts []store.SeriesPoint, narrow bool) []byte {
	cb := wideChart
	if narrow {
		cb = narrowChart
	}
	chartW, chartH, chartLeft, chartRight, chartTop, chartBottom := cb.w, cb.h, cb.left, cb.right, cb.top, cb.bottom
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="t" font-family="system-ui, sans-serif" font-size="%d">`, chartW, chartH, cb.font)
	b.WriteString(`<title id="t">Outcomes per second over the campaign's life: sent (green) and failures (red)</title>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`, chartW, chartH)
	plotW, plotH := float64(chartW-chartLeft-chartRight), float64(chartH-chartTop-chartBottom)
	// Legend.
	ly := cb.font + 2
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d" fill="#24292f">sent/s</text>`, chartLeft, ly-6, chartOK, chartLeft+18, ly)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d" fill="#24292f">failures/s</text>`, chartLeft+7*cb.font, ly-6, chartFail, chartLeft+7*cb.font+18, ly)
	if len(pts) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#57606a">No outcome yet</text></svg>`, chartW/2, chartH/2)
		return b.Bytes()
	}
	first, last := pts[0].At, pts[len(pts)-1].At
	for _, p := range pts {
		if p.At.Before(first) {
			first = p.At
		}
		if p.At.After(last) {
			last = p.At
		}
	}
	step := store.SeriesStep
	n := int(last.Sub(first)/step) + 1
	if n > maxChartPoints {
		k := (n + maxChartPoints - 1) / maxChartPoints
		step *= time.Duration(k)
		n = int(last.Sub(first)/step) + 1
	}
	ok, fail := make([]float64, n), make([]float64, n)
	for _, p := range pts {
		i := int(p.At.Sub(first) / step)
		if i < 0 || i >= n {
			continue
		}
		ok[i] += float64(max(0, p.Outcomes-p.Failures))
		fail[i] += float64(p.Failures)
	}
	top := 0.0
	for i := range ok {
		ok[i] /= step.Seconds()
		fail[i] /= step.Seconds()
		top = math.Max(top, math.Max(ok[i], fail[i]))
	}
	top = niceCeil(top)
	x := func(i float64) float64 { return float64(chartLeft) + i/float64(n)*plotW }
	y := func(v float64) float64 { return float64(chartTop) + plotH - v/top*plotH }
	// Grid and rate axis.
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, chartLeft, chartW-chartRight, y(v), y(v), grid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#57606a">%s</text>`, chartLeft-6, y(v)+4, trimFloat(v))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(-90 %d %d)" text-anchor="middle" fill="#57606a">messages/s</text>`, cb.font, chartTop+int(plotH)/2, cb.font, chartTop+int(plotH)/2)
	// Time axis: start, middle, end (UTC).
	end := first.Add(time.Duration(n) * step)
	for k, t := range []time.Time{first, first.Add(end.Sub(first) / 2), end} {
		anchor := []string{"start", "middle", "end"}[k]
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s" fill="#57606a">%s</text>`, x(float64(k)*float64(n)/2), chartH-chartBottom+cb.font+6, anchor, t.UTC().Format("15:04:05"))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#57606a">time (UTC), %s buckets</text>`, chartLeft+int(plotW)/2, chartH-6, step)
	line := func(vals []float64, color string) {
		b.WriteString(`<polyline fill="none" stroke-width="2" stroke-linejoin="round" stroke="` + color + `" points="`)
		for i, v := range vals {
			fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f ", x(float64(i)), y(v), x(float64(i+1)), y(v))
		}
		b.WriteString(`"/>`)
	}
	line(ok, chartOK)
	line(fail, chartFail)
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for nothing).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
