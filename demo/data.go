package demo

import "github.com/dflix/dflix/services/catalog"

var categories = []struct{ Name, Description string }{
	{"Movies", "Feature films"},
	{"Series", "Episodic shows"},
	{"Documentaries", "True stories, told well"},
	{"Kids", "For the youngest viewers"},
}

var genres = []string{"Drama", "Comedy", "Sci-Fi", "Thriller", "Romance", "Animation", "Documentary", "Action", "Mystery"}

var cast = []struct {
	Name string
	Type catalog.CastType
}{
	{"Ada Whitlock", catalog.CastActor}, {"Bruno Salgado", catalog.CastActor}, {"Carmen Ibarra", catalog.CastActor},
	{"Dmitri Volkov", catalog.CastActor}, {"Esther Nakamura", catalog.CastActor}, {"Felipe Duarte", catalog.CastActor},
	{"Grace Okafor", catalog.CastActor}, {"Hugo Lindqvist", catalog.CastActor}, {"Isabel Moreira", catalog.CastActor},
	{"Jonas Achterberg", catalog.CastActor}, {"Kira Patel", catalog.CastActor}, {"Lucía Fernández", catalog.CastActor},
	{"Marta Kowalski", catalog.CastDirector}, {"Nuno Carvalho", catalog.CastDirector}, {"Olivia Brandt", catalog.CastDirector},
	{"Pablo Herrera", catalog.CastDirector},
}

// video is one demo title; names refer to the tables above.
type video struct {
	Title       string
	Description string
	Year        int
	Minutes     int
	Rating      catalog.AgeRating
	Category    string
	Genres      []string
	Cast        []string
	Tags        []string
}

var videos = []video{
	{"The Long Orbit", "An astronaut running out of air drifts between two stations and must choose which crew to save.", 2021, 118, catalog.RatingPG13, "Movies", []string{"Sci-Fi", "Drama"}, []string{"Ada Whitlock", "Hugo Lindqvist", "Marta Kowalski"}, []string{"space", "survival"}},
	{"Interstellar Drift", "A cargo pilot discovers a signal beyond the heliopause and follows it against orders.", 2019, 131, catalog.RatingPG13, "Movies", []string{"Sci-Fi", "Thriller"}, []string{"Dmitri Volkov", "Kira Patel", "Olivia Brandt"}, []string{"space", "mystery"}},
	{"Quiet Harbour", "Two sisters reopen their late father's fishing business in a town that has moved on.", 2018, 104, catalog.RatingPG, "Movies", []string{"Drama"}, []string{"Grace Okafor", "Esther Nakamura", "Marta Kowalski"}, []string{"family", "sea"}},
	{"Paper Lanterns", "A shy calligrapher and a loud street musician fall for each other over one summer festival.", 2022, 97, catalog.RatingPG, "Movies", []string{"Romance", "Comedy"}, []string{"Esther Nakamura", "Felipe Duarte", "Nuno Carvalho"}, []string{"festival", "music"}},
	{"The Ninth Floor", "A night guard notices that the elevator stops at a floor the building does not have.", 2020, 101, catalog.RatingR, "Movies", []string{"Thriller", "Mystery"}, []string{"Hugo Lindqvist", "Carmen Ibarra", "Pablo Herrera"}, []string{"night", "building"}},
	{"Run, Marathon Man", "A retired runner trains a team of couch potatoes for the city marathon.", 2017, 95, catalog.RatingPG, "Movies", []string{"Comedy"}, []string{"Bruno Salgado", "Jonas Achterberg", "Olivia Brandt"}, []string{"running", "sports"}},
	{"Steel Rain", "A demolition expert has one night to stop a chain of explosions under the city.", 2023, 112, catalog.RatingR, "Movies", []string{"Action", "Thriller"}, []string{"Dmitri Volkov", "Grace Okafor", "Pablo Herrera"}, []string{"city", "explosions"}},
	{"La Casa del Río", "Una familia regresa a la casa junto al río donde todo comenzó, y los secretos vuelven con la corriente.", 2019, 109, catalog.RatingPG13, "Movies", []string{"Drama", "Mystery"}, []string{"Lucía Fernández", "Carmen Ibarra", "Pablo Herrera"}, []string{"familia", "río"}},
	{"Corriendo Hacia el Sur", "Dos hermanos corren por la costa para llegar a la boda de su madre a tiempo.", 2021, 99, catalog.RatingPG, "Movies", []string{"Comedy", "Drama"}, []string{"Felipe Duarte", "Lucía Fernández", "Pablo Herrera"}, []string{"viaje", "hermanos"}},
	{"O Segredo da Ilha", "Uma bióloga descobre que a ilha onde trabalha esconde uma cidade submersa.", 2020, 106, catalog.RatingPG13, "Movies", []string{"Mystery", "Sci-Fi"}, []string{"Isabel Moreira", "Bruno Salgado", "Nuno Carvalho"}, []string{"ilha", "mar"}},
	{"Cantando na Chuva de Lisboa", "Um músico de rua e uma engenheira cantam juntos nas noites chuvosas de Lisboa.", 2018, 93, catalog.RatingG, "Movies", []string{"Romance", "Comedy"}, []string{"Isabel Moreira", "Felipe Duarte", "Nuno Carvalho"}, []string{"música", "lisboa"}},
	{"Last Light at Kestrel Point", "A lighthouse keeper records strange lights over the water every night for a year.", 2016, 121, catalog.RatingPG13, "Movies", []string{"Mystery", "Drama"}, []string{"Ada Whitlock", "Jonas Achterberg", "Marta Kowalski"}, []string{"lighthouse", "sea"}},
	{"Kitchen Wars", "Rival chefs share one kitchen for a season and one of them is sabotaging the other.", 2022, 45, catalog.RatingPG, "Series", []string{"Comedy"}, []string{"Bruno Salgado", "Kira Patel", "Olivia Brandt"}, []string{"cooking", "rivalry"}},
	{"Signal & Noise", "A newsroom chases a leak that could end the career of everyone who touches it.", 2021, 52, catalog.RatingR, "Series", []string{"Drama", "Thriller"}, []string{"Grace Okafor", "Hugo Lindqvist", "Marta Kowalski"}, []string{"journalism", "politics"}},
	{"Colony Seven", "Settlers on a tidally locked planet split between the day side and the night side.", 2024, 58, catalog.RatingPG13, "Series", []string{"Sci-Fi", "Drama"}, []string{"Ada Whitlock", "Dmitri Volkov", "Olivia Brandt"}, []string{"space", "colony"}},
	{"The Archivist", "A librarian solves crimes with forgotten books from the basement archive.", 2019, 48, catalog.RatingPG13, "Series", []string{"Mystery"}, []string{"Esther Nakamura", "Jonas Achterberg", "Pablo Herrera"}, []string{"books", "detective"}},
	{"Detectives del Norte", "Una inspectora y su compañero novato investigan desapariciones en los pueblos del norte.", 2022, 50, catalog.RatingR, "Series", []string{"Thriller", "Mystery"}, []string{"Lucía Fernández", "Carmen Ibarra", "Pablo Herrera"}, []string{"policía", "pueblos"}},
	{"Vizinhos", "Seis vizinhos, um prédio antigo em São Paulo e uma reforma que nunca termina.", 2020, 30, catalog.RatingPG, "Series", []string{"Comedy"}, []string{"Isabel Moreira", "Bruno Salgado", "Nuno Carvalho"}, []string{"comédia", "prédio"}},
	{"Night Shift", "Paramedics on the overnight shift in a city that never quite sleeps.", 2018, 44, catalog.RatingPG13, "Series", []string{"Drama", "Action"}, []string{"Grace Okafor", "Felipe Duarte", "Marta Kowalski"}, []string{"medical", "city"}},
	{"Startup Garage", "Four friends build an app in a garage and almost lose their friendship to it.", 2023, 28, catalog.RatingPG, "Series", []string{"Comedy", "Drama"}, []string{"Kira Patel", "Jonas Achterberg", "Olivia Brandt"}, []string{"startup", "friends"}},
	{"Deep Blue Below", "Cameras follow the creatures of the deep ocean trench for the first time.", 2021, 88, catalog.RatingG, "Documentaries", []string{"Documentary"}, []string{"Nuno Carvalho"}, []string{"ocean", "nature"}},
	{"The Bread Makers", "Bakers around the world and the one ingredient they all share.", 2019, 76, catalog.RatingG, "Documentaries", []string{"Documentary"}, []string{"Olivia Brandt"}, []string{"food", "baking"}},
	{"Runners of the High Desert", "An ultramarathon across the high desert, and the people who run it every year.", 2022, 92, catalog.RatingPG, "Documentaries", []string{"Documentary"}, []string{"Marta Kowalski"}, []string{"running", "desert"}},
	{"Ciudades que Respiran", "Cómo las ciudades de América Latina plantan bosques en sus azoteas.", 2023, 70, catalog.RatingG, "Documentaries", []string{"Documentary"}, []string{"Pablo Herrera"}, []string{"ciudad", "naturaleza"}},
	{"A Floresta Vive", "Um ano na floresta amazônica com os cientistas que medem a sua respiração.", 2020, 84, catalog.RatingG, "Documentaries", []string{"Documentary"}, []string{"Nuno Carvalho"}, []string{"floresta", "ciência"}},
	{"Machines That Dream", "Engineers and artists on what it means to teach a machine to imagine.", 2024, 81, catalog.RatingPG, "Documentaries", []string{"Documentary", "Sci-Fi"}, []string{"Marta Kowalski"}, []string{"technology", "art"}},
	{"Pip and the Paper Boat", "A little mouse sails a paper boat down the gutter to find the sea.", 2021, 72, catalog.RatingG, "Kids", []string{"Animation", "Comedy"}, []string{"Kira Patel", "Nuno Carvalho"}, []string{"animals", "adventure"}},
	{"Robo Rangers", "Three small robots protect their town from a very polite alien.", 2022, 24, catalog.RatingG, "Kids", []string{"Animation", "Action"}, []string{"Felipe Duarte", "Olivia Brandt"}, []string{"robots", "aliens"}},
	{"The Counting Owl", "An owl who cannot sleep counts everything in the forest.", 2019, 12, catalog.RatingG, "Kids", []string{"Animation"}, []string{"Esther Nakamura", "Marta Kowalski"}, []string{"animals", "numbers"}},
	{"Dragon School", "A young dragon is afraid of fire and enrols in the school for brave dragons.", 2023, 85, catalog.RatingG, "Kids", []string{"Animation", "Comedy"}, []string{"Bruno Salgado", "Pablo Herrera"}, []string{"dragons", "school"}},
	{"Os Pequenos Exploradores", "Três crianças exploram o quintal como se fosse uma selva.", 2020, 22, catalog.RatingG, "Kids", []string{"Animation"}, []string{"Isabel Moreira", "Nuno Carvalho"}, []string{"aventura", "crianças"}},
	{"El Gato Astronauta", "Un gato curioso construye un cohete con cajas de cartón.", 2021, 20, catalog.RatingG, "Kids", []string{"Animation", "Sci-Fi"}, []string{"Lucía Fernández", "Pablo Herrera"}, []string{"gatos", "espacio"}},
	{"Frozen Frontier", "A research team is cut off in Antarctica as the long winter begins.", 2017, 115, catalog.RatingPG13, "Movies", []string{"Thriller", "Drama"}, []string{"Jonas Achterberg", "Ada Whitlock", "Marta Kowalski"}, []string{"ice", "survival"}},
	{"Second Chances", "A divorced couple is forced to share a road trip to their daughter's graduation.", 2024, 103, catalog.RatingPG13, "Movies", []string{"Romance", "Comedy"}, []string{"Hugo Lindqvist", "Grace Okafor", "Olivia Brandt"}, []string{"road trip", "family"}},
	{"Echoes of Tomorrow", "A physicist receives voicemails from her future self, each one more urgent.", 2023, 108, catalog.RatingPG13, "Movies", []string{"Sci-Fi", "Mystery"}, []string{"Kira Patel", "Dmitri Volkov", "Marta Kowalski"}, []string{"time travel", "physics"}},
	{"Unfinished Symphony", "A conductor losing his hearing prepares one last concert.", 2018, 124, catalog.RatingPG, "Movies", []string{"Drama"}, []string{"Jonas Achterberg", "Esther Nakamura", "Nuno Carvalho"}, []string{"music", "orchestra"}},
}
