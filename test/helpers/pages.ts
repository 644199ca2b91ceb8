/** scripts/check-pages.js (plain node) with types, for tests that render pages in headless Chromium. */
export interface PageReport {
  /** plotly figures on the page, and how many plotly drew */
  declared: number;
  drawn: number;
  /** image grids (valid PNGs or not) */
  images: number;
  /** the text of each figure not drawn: its placeholder or the reason its script gave */
  placeholders: string[];
  problems: string[];
}

// check-pages.js is a CommonJS script that the test runner also runs directly
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const pages = require("../../scripts/check-pages") as {
  inspect(dom: string): PageReport;
  renderedDom(browser: string, fileOrUrl: string): string;
  chromium(): string | undefined;
};
