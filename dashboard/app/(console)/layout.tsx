import type { ReactNode } from 'react';
import { Suspense } from 'react';
import { ConsoleShell } from './_components/console-shell';

export default function ConsoleLayout({ children }: { children: ReactNode }) {
  // Suspense: pages read the URL's search params (table state), which Next renders in the browser.
  return (
    <Suspense>
      <ConsoleShell>{children}</ConsoleShell>
    </Suspense>
  );
}
