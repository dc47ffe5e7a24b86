export default function NotFound() {
  return (
    <main>
      <h1>Not found</h1>
      <p>Nothing lives here.</p>
    </main>
  );
}
