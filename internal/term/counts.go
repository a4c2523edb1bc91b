package term

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// PrintCounts prints a campaign's outcome table: every non-zero state with
// its share, how many have an outcome, and the receipts' delivery and read
// rates once there are any.
func PrintCounts(out io.Writer, counts store.Counts) {
	total := counts.Total()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "STATE\tMESSAGES\tSHARE\t")
	for _, s := range message.Statuses {
		if n := counts[s]; n != 0 {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", s, n, Pct(n, total))
		}
	}
	fmt.Fprintf(tw, "total\t%d\t\t\n", total)
	_ = tw.Flush()
	fmt.Fprintf(out, "done: %d of %d have an outcome (%s)\n", counts.Outcomes(), total, Pct(counts.Outcomes(), total))
	// Receipts: of the messages the provider took, how many reached the
	// phone and how many were read (a failed receipt counts as failed).
	took := counts[message.Accepted] + counts[message.Sent] + counts[message.Delivered] + counts[message.Read]
	if reached := counts[message.Delivered] + counts[message.Read]; reached > 0 || counts[message.Sent] > 0 {
		fmt.Fprintf(out, "receipts: %d delivered (%s of %d the provider took), %d read (%s)\n",
			reached, Pct(reached, took), took, counts[message.Read], Pct(counts[message.Read], took))
	}
}

// Pct is n as a share of total, "12.5%", or "-" when total is 0.
func Pct(n, total int64) string {
	if total == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + "%"
}
