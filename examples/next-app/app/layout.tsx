import type { ReactNode } from 'react';

/** Only Next's own pages (the 404) render here: every route of this app is a Route Handler with the shared HTML views. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
