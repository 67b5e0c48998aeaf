/*
 * Day numbers count from 1970-01-01 (day 0, a Thursday).  The conversions
 * are the usual era-based ones for the proleptic Gregorian calendar, exact
 * for every year the streams can hold.
 */
#include "isoweek.h"

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
days_in_month(int64_t y, int m)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : mdays[m - 1];
}

/*
 * The week index of the week holding `days`: weeks start on Monday, and
 * 1970-01-01 is a Thursday, so day -3 (1969-12-29) starts week 0.
 */
int64_t
isoweek_index_of_days(int64_t days)
{
	return floordiv(days + 3, 7);
}

/* ISO week 1 is the week holding January 4th. */
int64_t
isoweek_index(int64_t year, int week)
{
	return isoweek_index_of_days(days_from_civil(year, 1, 4)) + week - 1;
}

/*
 * The ISO week-year is the calendar year of the week's Thursday: that is
 * why 2024-12-30 is in 2025 week 1 and 2027-01-01 in 2026 week 53.
 */
void
isoweek_of_index(int64_t index, int64_t *year, int *week)
{
	int64_t thursday = index * 7; /* its Monday is index * 7 - 3 */
	int m, d;

	civil_from_days(thursday, year, &m, &d);
	*week = (int)(index - isoweek_index(*year, 1)) + 1;
}

int
isoweek_weeks_in_year(int64_t year)
{
	return (int)(isoweek_index(year + 1, 1) - isoweek_index(year, 1));
}
