package subscription

import "time"

// periodEnd returns the end of a billing period of p that starts at start:
// a calendar month or year with real days, 30 or 365 billing days when
// Config.DayLength shortens them.
func (s *Service) periodEnd(start time.Time, p Period) time.Time {
	if s.cfg.DayLength == realDay {
		if p == Yearly {
			return start.AddDate(1, 0, 0)
		}
		return start.AddDate(0, 1, 0)
	}
	days := 30
	if p == Yearly {
		days = 365
	}
	return s.afterDays(start, days)
}

// afterDays returns the time n billing days after t.
func (s *Service) afterDays(t time.Time, n int) time.Time {
	return t.Add(time.Duration(n) * s.cfg.DayLength)
}
